-- staging.wijken: one row per CBS wijk in scope (the latest delivery wins when a wijk occurs twice).
-- Source: raw.wijken (contract data_contracts/wijken.yaml).
SELECT gemeente_code, gemeente_naam AS gemeente_name, wijk_code, wijk_naam AS wijk_name
FROM raw.wijken
QUALIFY row_number() OVER (PARTITION BY wijk_code ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.wijken.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
