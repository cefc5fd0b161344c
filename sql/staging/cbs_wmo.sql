-- staging.cbs_wmo: CBS's hulp-bij-het-huishouden figures, one row per region × year (raw.cbs_wmo, contract
-- data_contracts/cbs_wmo.yaml). Only the type "Hulp bij het huishouden"; the year figure (period JJ00)
-- where CBS has it, else its latest half year (HJ02, then HJ01), named in cbs_period. When a table is
-- delivered twice, the latest file wins.
-- cbs_clients: Wmo-cliënten with HbH (persons with a maatwerkvoorziening HbH in the period; CBS rounds to
--   multiples of 5 and hides counts below 10: NULL with secret = true); cbs_clients_per_1000: CBS's rate.
SELECT table_id AS cbs_table_id, period AS cbs_period, year::INTEGER AS year, region_code,
       CASE WHEN region_code LIKE 'WK%' THEN 'wijk' WHEN region_code LIKE 'GM%' THEN 'gemeente'
            WHEN region_code LIKE 'BU%' THEN 'buurt' ELSE 'land' END AS region_level,
       CASE WHEN region_code LIKE 'WK%' OR region_code LIKE 'BU%' OR region_code LIKE 'GM%'
            THEN 'GM' || substr(region_code, 3, 4) END AS gemeente_code,
       gemeente_name, wmo_clients AS cbs_clients, wmo_clients_per_1000::DOUBLE AS cbs_clients_per_1000,
       secret = 'ja' AS cbs_secret, source_file
FROM raw.cbs_wmo
WHERE lower(trim(type_maatwerk)) LIKE 'hulp bij het huishouden%'
QUALIFY row_number() OVER (PARTITION BY region_code, year
                           ORDER BY period LIKE '%JJ00' DESC, period DESC, source_file DESC, source_line DESC) = 1
