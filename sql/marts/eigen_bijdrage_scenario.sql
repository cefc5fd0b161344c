-- marts.eigen_bijdrage_scenario: the standard value of the Prognose's "share of the extra growth that disappears
-- with the income-dependent eigen bijdrage" (marts.forecast_scenarios.excess_removed_share), from the income
-- distribution of the HbH clients and the response per income class; one row per level (gemeente, regio). The
-- regio row gives the standard scenario's value; the gemeente rows show the same computation per gemeente.
-- Income distribution (distribution_source):
--   'cliëntregistratie': the client registration names an income class per client (clienten/, optional column
--     inkomensklasse): clients_laag / _midden / _hoog of the latest year of marts.income_response;
--   else 'CBS': StatLine 85043NED (staging.cbs_wmo_income, CBS's counts rounded to 5) for the gemeenten of the
--     region, the latest year CBS has for them; the regio: the sum of its gemeenten. A class CBS hides (".",
--     fewer than 10) counts as 0. Without either the mart is empty and the scenario keeps its assumption (50%).
-- share_c = clients_c / (clients_laag + clients_midden + clients_hoog), for c in laag, midden, hoog.
-- response_c: the part of the class's growth since the abonnementstarief that came with the flat rate, i.e. that
--   disappears when the contribution depends on income again: response_laag = 0 (below about 185% of the social
--   minimum the contribution does not rise; laag is the comparison group); for midden and hoog
--   response_c = (growth_c − growth_laag) / growth_c, bounded to 0..1:
--   response_source 'verschil-in-verschillen': growth_c of the regio in marts.income_response from the baseline
--     year to the latest year (client-level classes: the difference in differences the page shows);
--   response_source 'landelijke monitor': the national figures (CBS, 2023 against 2019: clients with a household
--     income above €40,000 doubled, +100%, below €20,000 +5%; Significant's monitor: middle and high incomes +80%):
--     response_hoog = (1.00 − 0.05) / 1.00 = 0.95, response_midden = (0.80 − 0.05) / 0.80 = 0.9375.
-- excess_removed_share = Σ_c share_c × response_c: the share of the extra (abonnementstarief) growth that disappears,
--   taking the extra growth spread over the classes as the clients are.
-- nl: Welk deel van de extra groei verdwijnt als de eigen bijdrage weer van het inkomen afhangt (mogelijk vanaf
-- nl: 2027)? Per gemeente en voor de regio: de inkomensverdeling van de cliënten hulp bij het huishouden (uit de
-- nl: eigen cliëntregistratie als die een inkomensklasse per cliënt heeft, anders uit CBS-tabel 85043NED, tellingen
-- nl: afgerond op 5) en per inkomensklasse het deel van de groei sinds het abonnementstarief dat met het vaste tarief
-- nl: kwam: (groei van de klasse − groei van laag) / groei van de klasse. Bij lage inkomens verandert de bijdrage niet
-- nl: (0). Met een inkomensklasse per cliënt komt de groei uit de eigen gegevens (verschil-in-verschillen), anders uit
-- nl: de landelijke monitor (CBS: inkomens boven € 40.000 +100%, onder € 20.000 +5%; midden- en hoge inkomens +80%).
-- nl: Het verdwijnende deel = som over de klassen van (aandeel cliënten × reactie). De regio-waarde is de
-- nl: standaardwaarde in de Prognose.
-- disclosure: audience council
-- disclosure: persons clients_laag, clients_midden, clients_hoog
-- disclosure: recompute from the published marts.income_response (CBS's own counts of 85043NED are public)
WITH own AS (
  SELECT level, gemeente_code, year, baseline_year, clients_laag AS laag, clients_midden AS midden,
         clients_hoog AS hoog, NULL::VARCHAR AS cbs_table_id
  FROM marts.income_response
  QUALIFY year = max(year) OVER ()
), region AS (
  SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken
), cbs_year AS (
  SELECT max(year) AS year FROM staging.cbs_wmo_income WHERE gemeente_code IN (SELECT gemeente_code FROM region)
), cbs_gem AS (
  SELECT 'gemeente' AS level, c.gemeente_code, c.year, NULL::INTEGER AS baseline_year,
         coalesce(sum(cbs_clients) FILTER (WHERE income_class = 'laag'), 0) AS laag,
         coalesce(sum(cbs_clients) FILTER (WHERE income_class = 'midden'), 0) AS midden,
         coalesce(sum(cbs_clients) FILTER (WHERE income_class = 'hoog'), 0) AS hoog,
         any_value(cbs_table_id) AS cbs_table_id
  FROM staging.cbs_wmo_income c
  WHERE c.gemeente_code IN (SELECT gemeente_code FROM region) AND c.year = (SELECT year FROM cbs_year)
  GROUP BY c.gemeente_code, c.year
), cbs AS (
  SELECT * FROM cbs_gem
  UNION ALL
  SELECT 'regio', NULL, year, NULL, sum(laag), sum(midden), sum(hoog), any_value(cbs_table_id) FROM cbs_gem GROUP BY year
), dist AS (
  SELECT 'cliëntregistratie' AS distribution_source, * FROM own
  UNION ALL
  SELECT 'CBS', * FROM cbs WHERE NOT EXISTS (SELECT 1 FROM own)
), observed AS (
  SELECT baseline_year, year, growth_laag, growth_midden, growth_hoog
  FROM marts.income_response
  WHERE level = 'regio'
  QUALIFY year = max(year) OVER ()
), response AS (
  SELECT CASE WHEN o.year IS NOT NULL THEN 'verschil-in-verschillen' ELSE 'landelijke monitor' END AS response_source,
         o.baseline_year AS response_from_year, o.year AS response_to_year,
         0.0 AS response_laag,
         CASE WHEN o.year IS NULL THEN (0.80 - 0.05) / 0.80
              ELSE greatest(least(coalesce((o.growth_midden - o.growth_laag) / nullif(o.growth_midden, 0), 0), 1), 0)
              END AS response_midden,
         CASE WHEN o.year IS NULL THEN (1.00 - 0.05) / 1.00
              ELSE greatest(least(coalesce((o.growth_hoog - o.growth_laag) / nullif(o.growth_hoog, 0), 0), 1), 0)
              END AS response_hoog
  FROM (SELECT 1) one LEFT JOIN observed o ON true
), shares AS (
  SELECT d.*, laag / nullif(laag + midden + hoog, 0) AS share_laag, midden / nullif(laag + midden + hoog, 0) AS share_midden,
         hoog / nullif(laag + midden + hoog, 0) AS share_hoog, r.*
  FROM dist d, response r
)
SELECT s.level, s.gemeente_code, coalesce(n.gemeente_name, 'Regio') AS gemeente_name, s.year::INTEGER AS year,
       s.distribution_source, s.cbs_table_id,
       s.laag::BIGINT AS clients_laag, s.midden::BIGINT AS clients_midden, s.hoog::BIGINT AS clients_hoog,
       s.share_laag::DOUBLE AS share_laag, s.share_midden::DOUBLE AS share_midden, s.share_hoog::DOUBLE AS share_hoog,
       s.response_source, s.response_from_year::INTEGER AS response_from_year,
       s.response_to_year::INTEGER AS response_to_year,
       s.response_laag::DOUBLE AS response_laag, s.response_midden::DOUBLE AS response_midden,
       s.response_hoog::DOUBLE AS response_hoog,
       (s.share_laag * s.response_laag + s.share_midden * s.response_midden + s.share_hoog * s.response_hoog)::DOUBLE
         AS excess_removed_share
FROM shares s
LEFT JOIN region n USING (gemeente_code)
ORDER BY s.level, s.gemeente_code
