-- staging.productmapping: one row per gemeente × old product: the new product, its minutes per week, the
-- transition months and the first year of the new product set (the latest delivery wins).
-- Source: raw.productmapping (contract data_contracts/productmapping.yaml).
SELECT gemeente_code, oud_product_code AS old_product_code, nieuw_product_code AS new_product_code,
       nieuw_omschrijving AS new_product_name, minuten_per_week AS minutes_per_week,
       overgangsmaanden AS transition_months, ingangsjaar AS start_year
FROM raw.productmapping
QUALIFY row_number() OVER (PARTITION BY gemeente_code, oud_product_code ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.productmapping.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
