-- staging.bevolking: inhabitants on 1 January per wijk, year and age band, observed (waarneming)
-- and projected (prognose); one row per wijk × year × age band × bron (latest delivery wins).
-- Source: raw.bevolking (contract data_contracts/bevolking.yaml).
SELECT wijk_code, jaar AS year, leeftijdsklasse AS age_band, inwoners AS inhabitants, bron
FROM raw.bevolking
QUALIFY row_number() OVER (PARTITION BY wijk_code, jaar, leeftijdsklasse, bron ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.bevolking.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
