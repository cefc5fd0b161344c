-- staging.aanbieders: one row per aanbieder (AGB code) with its name (the latest delivery wins: the file
-- first delivered last, by meta.delivery_order from the ingestion ledger; the file name only breaks ties).
-- Source: raw.aanbieders (contract data_contracts/aanbieders.yaml).
SELECT aanbieder_agb, naam AS aanbieder_name
FROM raw.aanbieders
QUALIFY row_number() OVER (PARTITION BY aanbieder_agb ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.aanbieders.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
