-- marts.cbs_comparison: our HbH clients next to CBS's count, one row per wijk in scope (and per gemeente,
-- wijk_code 'alle') × year for which a CBS table with HbH figures was loaded (staging.cbs_wmo).
-- clients: our count (marts.wijk_year / marts.gemeente_year: persons with an active HbH indication in the
--   year, in the wijk of their latest indication); cbs_clients: CBS's Wmo-cliënten with hulp bij het
--   huishouden (persons with a maatwerkvoorziening HbH in the period by CBS's registration of residence,
--   rounded to multiples of 5, hidden below 10); cbs_period: the year (…JJ00) or the half year CBS
--   counted. cbs_difference = clients − cbs_clients; cbs_difference_pct = cbs_difference / cbs_clients.
-- cbs_gap_reason: what explains the gap where it is known: rounding (|difference| ≤ 2, CBS rounds to 5),
--   timing (CBS counted a half year: fewer persons than in a whole year), CBS hid the count, or the
--   definition (our indications against CBS's maatwerkvoorzieningen by address) for a larger gap.
-- nl: Onze cliënten naast het aantal van het CBS, per wijk en gemeente per jaar waarvoor een CBS-tabel is
-- nl: geladen. Wij tellen personen met een lopende indicatie voor hulp bij het huishouden in het jaar, in de
-- nl: wijk van hun laatste indicatie. Het CBS telt Wmo-cliënten met een maatwerkvoorziening hulp bij het
-- nl: huishouden volgens de gemeentelijke registratie en het woonadres in de basisregistratie, rondt af
-- nl: op vijftallen en toont geen aantallen onder de 10. Verschil = onze cliënten − CBS-cliënten. Reden
-- nl: van het verschil waar die bekend is: afronding (verschil van hoogstens 2), het CBS telde een
-- nl: halfjaar (minder personen dan in een heel jaar), het CBS-cijfer is geheim, of de definitie.
-- disclosure: audience council
-- disclosure: recompute from the published marts.wijk_year and marts.gemeente_year (CBS's own counts are public)
-- disclosure: persons clients
WITH cbs AS (
  SELECT region_code, year, cbs_clients, cbs_period, cbs_table_id, cbs_secret FROM staging.cbs_wmo
), cbs_years AS (
  SELECT DISTINCT year FROM staging.cbs_wmo
), ours AS (
  SELECT gemeente_code, gemeente_name, wijk_code, wijk_name, wijk_code AS region_code, year, clients
  FROM marts.wijk_year
  UNION ALL
  SELECT gemeente_code, gemeente_name, 'alle', '(hele gemeente)', gemeente_code, year, clients
  FROM marts.gemeente_year
), j AS (
  SELECT o.*, c.cbs_clients, c.cbs_period, c.cbs_table_id, coalesce(c.cbs_secret, false) AS cbs_secret,
         c.region_code IS NOT NULL AS at_cbs
  FROM ours o JOIN cbs_years USING (year)
  LEFT JOIN cbs c ON c.region_code = o.region_code AND c.year = o.year
)
SELECT gemeente_code, gemeente_name, wijk_code, wijk_name, year::INTEGER AS year, clients::BIGINT AS clients,
       cbs_clients::BIGINT AS cbs_clients, cbs_period, cbs_table_id, cbs_secret,
       (clients - cbs_clients)::DOUBLE AS cbs_difference,
       ((clients - cbs_clients) / nullif(cbs_clients, 0))::DOUBLE AS cbs_difference_pct,
       CASE WHEN NOT at_cbs THEN 'wijk niet in de CBS-tabel (andere wijkindeling of code)'
            WHEN cbs_secret OR cbs_clients IS NULL THEN 'CBS-cijfer geheim (minder dan 10)'
            WHEN abs(clients - cbs_clients) <= 2 THEN 'afronding (CBS rondt af op 5)'
            WHEN cbs_period NOT LIKE '%JJ00' THEN 'CBS telde een halfjaar (' || cbs_period || ')'
            ELSE 'definitie en moment van tellen verschillen'
       END AS cbs_gap_reason
FROM j
ORDER BY gemeente_code, wijk_code, year
