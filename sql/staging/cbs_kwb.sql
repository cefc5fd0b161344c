-- staging.cbs_kwb: CBS Kerncijfers wijken en buurten, one row per region × year (raw.cbs_kwb, contract
-- data_contracts/cbs_kwb.yaml); the latest file wins when a table is delivered twice.
-- share_65plus = inhabitants aged 65 or over / inhabitants (KWB has no 75+ band); urbanity = CBS's
-- mate van stedelijkheid, 1 (zeer sterk stedelijk) to 5 (niet stedelijk).
SELECT table_id AS kwb_table_id, year::INTEGER AS year, region_code,
       CASE WHEN region_code LIKE 'WK%' THEN 'wijk' WHEN region_code LIKE 'GM%' THEN 'gemeente'
            WHEN region_code LIKE 'BU%' THEN 'buurt' ELSE 'land' END AS region_level,
       CASE WHEN region_code LIKE 'WK%' OR region_code LIKE 'BU%' OR region_code LIKE 'GM%'
            THEN 'GM' || substr(region_code, 3, 4) END AS gemeente_code,
       gemeente_name, inhabitants, age_0_15, age_15_25, age_25_45, age_45_65, age_65plus,
       (age_65plus / nullif(inhabitants, 0))::DOUBLE AS share_65plus, urbanity::INTEGER AS urbanity,
       source_file
FROM raw.cbs_kwb
QUALIFY row_number() OVER (PARTITION BY region_code, year ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.cbs_kwb.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
