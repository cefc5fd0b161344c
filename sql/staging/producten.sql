-- staging.producten: the product catalogue, one row per gemeente × product × year, with the
-- contracted tariff per hour and how often help comes (frequentie_weken: 1 weekly, 2 every other week).
-- Source: raw.producten (contract data_contracts/producten.yaml).
SELECT gemeente_code, product_code, jaar AS year, omschrijving AS product_name, productsoort AS product_kind,
       frequentie_weken AS weeks_per_visit, tarief_per_uur AS tariff_per_hour
FROM raw.producten
QUALIFY row_number() OVER (PARTITION BY gemeente_code, product_code, jaar ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.producten.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
