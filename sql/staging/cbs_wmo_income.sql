-- staging.cbs_wmo_income: CBS's hulp-bij-het-huishouden clients per gemeente, year and income class, one row per
-- gemeente × year × class (raw.cbs_wmo_kenmerken, contract data_contracts/cbs_wmo_kenmerken.yaml: StatLine table
-- 85043NED "Wmo-cliënten; type maatwerkvoorziening, persoonskenmerken, regio"). Only gemeenten, only the type
-- "Hulp bij het huishouden"; the year figure (period JJ00) where CBS has it, else its latest half year. When a
-- table is delivered twice, the latest file wins.
-- income_class from the person characteristic's title: CBS's household-income fifths ("… 1e 20%-groep" …
--   "… 5e 20%-groep" in a characteristic that names inkomen): the 1st and 2nd fifth = laag (up to about €30,000
--   standardised household income, about 185% of the social minimum: where the income-dependent eigen bijdrage
--   would not rise), the 3rd = midden, the 4th and 5th = hoog; a characteristic that names the class itself
--   ("Inkomen: laag", "midden", "hoog") is taken as it is. Other characteristics (age, sex, "inkomen onbekend")
--   are not an income class and are left out.
-- cbs_clients: the sum of CBS's counts of the class (each rounded by CBS to 5); NULL when all of them are secret
--   ("."); cbs_secret: true when any count of the class was secret.
WITH hbh AS (
  SELECT table_id, period, year::INTEGER AS year, region_code AS gemeente_code, trim(persoonskenmerk) AS kenmerk,
         wmo_clients, secret = 'ja' AS secret
  FROM raw.cbs_wmo_kenmerken
  WHERE region_code LIKE 'GM%' AND lower(trim(type_maatwerk)) LIKE 'hulp bij het huishouden%'
  QUALIFY row_number() OVER (PARTITION BY region_code, year, trim(persoonskenmerk)
                             ORDER BY period LIKE '%JJ00' DESC, period DESC, source_file DESC, source_line DESC) = 1
), classed AS (
  SELECT *,
         CASE WHEN NOT regexp_matches(lower(kenmerk), 'inkomen') OR regexp_matches(lower(kenmerk), 'onbekend') THEN NULL
              WHEN regexp_matches(kenmerk, '(^|[^0-9])[12]e 20%') THEN 'laag'
              WHEN regexp_matches(kenmerk, '(^|[^0-9])3e 20%') THEN 'midden'
              WHEN regexp_matches(kenmerk, '(^|[^0-9])[45]e 20%') THEN 'hoog'
              WHEN regexp_matches(lower(kenmerk), '\blaag\b') THEN 'laag'
              WHEN regexp_matches(lower(kenmerk), '\bmidden\b') THEN 'midden'
              WHEN regexp_matches(lower(kenmerk), '\bhoog\b') THEN 'hoog'
         END AS income_class
  FROM hbh
)
SELECT gemeente_code, year, any_value(table_id) AS cbs_table_id, any_value(period) AS cbs_period, income_class,
       sum(wmo_clients)::BIGINT AS cbs_clients, bool_or(secret) AS cbs_secret
FROM classed
WHERE income_class IS NOT NULL
GROUP BY gemeente_code, year, income_class
