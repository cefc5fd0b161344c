-- staging.client_income: one row per client whose registration (raw.clienten) names an income class: the class
-- of the latest registration that has one (latest geldig_vanaf; of equal dates the latest delivery).
-- Source: raw.clienten (contract data_contracts/clienten.yaml, optional column inkomensklasse).
SELECT client_id, inkomensklasse AS income_class, geldig_vanaf AS income_class_from
FROM raw.clienten
WHERE inkomensklasse IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY client_id ORDER BY geldig_vanaf DESC, source_file DESC, source_line DESC) = 1
