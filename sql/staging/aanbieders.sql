-- staging.aanbieders: one row per aanbieder (AGB code) with its name (the latest delivery wins).
-- Source: raw.aanbieders (contract data_contracts/aanbieders.yaml).
SELECT aanbieder_agb, naam AS aanbieder_name
FROM raw.aanbieders
QUALIFY row_number() OVER (PARTITION BY aanbieder_agb ORDER BY source_file DESC, source_line DESC) = 1
