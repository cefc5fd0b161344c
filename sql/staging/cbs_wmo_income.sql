-- staging.cbs_wmo_income: CBS's hulp-bij-het-huishouden clients per gemeente, year and income class, one row per
-- gemeente × year × class (raw.cbs_wmo_kenmerken, contract data_contracts/cbs_wmo_kenmerken.yaml: StatLine table
-- 85043NED "Wmo-cliënten; type maatwerkvoorziening, persoonskenmerken, regio"). Only gemeenten, only the type
-- "Hulp bij het huishouden"; the year figure (period JJ00) where CBS has it, else its latest half year. When a
-- table is delivered twice, the latest file wins.
-- A table with a Geslacht dimension: only the rows of both sexes together ("Totaal mannen en vrouwen").
-- income_class from the person characteristic's title: CBS's household-income fifths ("… 1e 20%-groep" …
--   "… 5e 20%-groep" in a characteristic that names inkomen): the 1st and 2nd fifth = laag (up to about €30,000
--   standardised household income, about 185% of the social minimum: where the income-dependent eigen bijdrage
--   would not rise), the 3rd = midden, the 4th and 5th = hoog; household income in euro bands ("Minder dan 10 000
--   euro", "20 000 tot 30 000 euro", "50 000 euro of meer"): a band up to €30,000 = laag, from €40,000 = hoog (the
--   national figures compare below €20,000 with above €40,000), between = midden; a characteristic that names the
--   class itself ("Inkomen: laag", "midden", "hoog") is taken as it is. Other characteristics (age, sex, "inkomen
--   onbekend") are not an income class and are left out.
-- cbs_clients: the sum of CBS's counts of the class (each rounded by CBS to 5); NULL when all of them are secret
--   ("."); cbs_secret: true when any count of the class was secret.
WITH hbh AS (
  SELECT table_id, period, year::INTEGER AS year, region_code AS gemeente_code, trim(persoonskenmerk) AS kenmerk,
         wmo_clients, secret = 'ja' AS secret
  FROM raw.cbs_wmo_kenmerken
  WHERE region_code LIKE 'GM%' AND lower(trim(type_maatwerk)) LIKE 'hulp bij het huishouden%'
    AND (geslacht IS NULL OR lower(trim(geslacht)) LIKE 'totaal%')
  QUALIFY row_number() OVER (PARTITION BY region_code, year, trim(persoonskenmerk)
                             ORDER BY period LIKE '%JJ00' DESC, period DESC, source_file DESC, source_line DESC) = 1
), bounded AS (  -- a euro band's bounds in euros ("10 000", "10.000" or "10000"); NULL when not a euro band
  SELECT *,
         nullif(replace(replace(coalesce(nullif(regexp_extract(lower(kenmerk), 'minder dan ([0-9][0-9 .]*[0-9])', 1), ''),
                                         regexp_extract(lower(kenmerk), '([0-9][0-9 .]*[0-9]) (?:euro )?tot ([0-9][0-9 .]*[0-9])', 2)),
                                ' ', ''), '.', ''), '')::BIGINT AS upper_eur,
         nullif(replace(replace(coalesce(nullif(regexp_extract(lower(kenmerk), '([0-9][0-9 .]*[0-9]) (?:euro )?tot ([0-9][0-9 .]*[0-9])', 1), ''),
                                         nullif(regexp_extract(lower(kenmerk), '([0-9][0-9 .]*[0-9]) (?:euro )?of meer', 1), ''),
                                         regexp_extract(lower(kenmerk), 'meer dan ([0-9][0-9 .]*[0-9])', 1)),
                                ' ', ''), '.', ''), '')::BIGINT AS lower_eur
  FROM hbh
), classed AS (
  SELECT *,
         CASE WHEN NOT regexp_matches(lower(kenmerk), 'inkomen') OR regexp_matches(lower(kenmerk), 'onbekend') THEN NULL
              WHEN regexp_matches(kenmerk, '(^|[^0-9])[12]e 20%') THEN 'laag'
              WHEN regexp_matches(kenmerk, '(^|[^0-9])3e 20%') THEN 'midden'
              WHEN regexp_matches(kenmerk, '(^|[^0-9])[45]e 20%') THEN 'hoog'
              WHEN upper_eur <= 30000 THEN 'laag'
              WHEN lower_eur >= 40000 THEN 'hoog'
              WHEN upper_eur IS NOT NULL OR lower_eur IS NOT NULL THEN 'midden'
              WHEN regexp_matches(lower(kenmerk), '\blaag\b') THEN 'laag'
              WHEN regexp_matches(lower(kenmerk), '\bmidden\b') THEN 'midden'
              WHEN regexp_matches(lower(kenmerk), '\bhoog\b') THEN 'hoog'
         END AS income_class
  FROM bounded
)
SELECT gemeente_code, year, any_value(table_id) AS cbs_table_id, any_value(period) AS cbs_period, income_class,
       sum(wmo_clients)::BIGINT AS cbs_clients, bool_or(secret) AS cbs_secret
FROM classed
WHERE income_class IS NOT NULL
GROUP BY gemeente_code, year, income_class
