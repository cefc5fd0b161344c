-- marts.income_response: how use grew per income class since the baseline year, one row per level (gemeente,
-- regio) × year of the data period. Only when the client registration holds income classes (clienten/, optional
-- column inkomensklasse; staging.client_income); otherwise the mart is empty.
-- clients_laag / clients_midden / clients_hoog / clients_onbekend: clients (staging.client_years, as in
--   marts.gemeente_year) by their registered income class (onbekend: none registered); they add up to the
--   gemeente's clients (clients, the same number as marts.gemeente_year.clients). clients_onbekend is NULL (not
--   applicable, not a hidden 0) for a gemeente whose registration gives every client a class in every year (the
--   regio: when no gemeente has clients without a class). *_baseline: the same in the baseline year
--   (HBH_BASELINE_YEAR, default 2018).
-- growth_laag / growth_midden / growth_hoog = clients of the class / clients of the class in the baseline year − 1.
-- growth_difference_points = 100 × (growth_hoog − growth_laag): the difference in differences between the class
--   whose eigen bijdrage the abonnementstarief (2019) lowered most (hoog: before 2019 the contribution rose with
--   income) and the class for which it hardly changed (laag), in percentage points: the growth that came with
--   the flat rate, if both classes would otherwise have grown alike.
-- regio: the sums of the gemeenten.
-- nl: Hoe groeide het gebruik per inkomensklasse sinds het basisjaar? Alleen als de cliëntregistratie
-- nl: (clienten/) een inkomensklasse per cliënt bevat. Per gemeente en voor de regio per jaar: het aantal
-- nl: cliënten met een laag, midden of hoog inkomen (en onbekend, als de registratie niet elke cliënt een klasse
-- nl: geeft; samen de cliënten van de gemeente), de groei per klasse sinds het basisjaar
-- nl: (standaard 2018) en het verschil in groei tussen hoog en laag in procentpunten (verschil-in-verschillen).
-- nl: Het abonnementstarief (2019) maakte de eigen bijdrage vooral voor hogere inkomens veel lager; voor lage
-- nl: inkomens veranderde weinig. Groeiden beide klassen anders gelijk op, dan is dat verschil de groei die met
-- nl: het vaste tarief kwam.
-- disclosure: audience council
-- disclosure: persons clients, clients_laag, clients_midden, clients_hoog, clients_onbekend
-- disclosure: parts clients = clients_laag + clients_midden + clients_hoog + clients_onbekend
-- disclosure: same clients = marts.gemeente_year.clients
-- disclosure: persons clients_laag_baseline, clients_midden_baseline, clients_hoog_baseline, clients_onbekend_baseline
-- disclosure: derived growth_laag = clients_laag / nullif(clients_laag_baseline, 0) - 1
-- disclosure: derived growth_midden = clients_midden / nullif(clients_midden_baseline, 0) - 1
-- disclosure: derived growth_hoog = clients_hoog / nullif(clients_hoog_baseline, 0) - 1
-- disclosure: derived growth_difference_points = 100 * ((clients_hoog / nullif(clients_hoog_baseline, 0)) - (clients_laag / nullif(clients_laag_baseline, 0)))
WITH any_class AS (
  SELECT count(*) > 0 AS present FROM staging.client_income
), cy AS (
  SELECT c.gemeente_code, c.year, coalesce(i.income_class, 'onbekend') AS income_class
  FROM staging.client_years c LEFT JOIN staging.client_income i USING (client_id)
  WHERE (SELECT present FROM any_class)
), gem AS (
  SELECT 'gemeente' AS level, gemeente_code, year,
         count(*) FILTER (WHERE income_class = 'laag') AS laag,
         count(*) FILTER (WHERE income_class = 'midden') AS midden,
         count(*) FILTER (WHERE income_class = 'hoog') AS hoog,
         count(*) FILTER (WHERE income_class = 'onbekend') AS onbekend
  FROM cy GROUP BY ALL
), both_levels AS (
  SELECT * FROM gem
  UNION ALL
  SELECT 'regio', NULL, year, sum(laag), sum(midden), sum(hoog), sum(onbekend) FROM gem GROUP BY year
), classed AS (  -- does the registration leave clients without a class (gemeente, or any gemeente for the regio)?
  SELECT b.* REPLACE (CASE WHEN bool_or(onbekend > 0) OVER (PARTITION BY level, gemeente_code) THEN onbekend END
                      AS onbekend)
  FROM both_levels b
), base AS (
  SELECT b.*, max(laag) FILTER (WHERE year = getvariable('baseline_year')) OVER w AS laag_b,
         max(midden) FILTER (WHERE year = getvariable('baseline_year')) OVER w AS midden_b,
         max(hoog) FILTER (WHERE year = getvariable('baseline_year')) OVER w AS hoog_b,
         max(onbekend) FILTER (WHERE year = getvariable('baseline_year')) OVER w AS onbekend_b
  FROM classed b
  WINDOW w AS (PARTITION BY level, gemeente_code)
)
SELECT b.level, b.gemeente_code, coalesce(n.gemeente_name, 'Regio') AS gemeente_name, b.year::INTEGER AS year,
       getvariable('baseline_year')::INTEGER AS baseline_year,
       (laag + midden + hoog + coalesce(onbekend, 0))::BIGINT AS clients,
       laag::BIGINT AS clients_laag, midden::BIGINT AS clients_midden, hoog::BIGINT AS clients_hoog,
       onbekend::BIGINT AS clients_onbekend,
       laag_b::BIGINT AS clients_laag_baseline, midden_b::BIGINT AS clients_midden_baseline,
       hoog_b::BIGINT AS clients_hoog_baseline, onbekend_b::BIGINT AS clients_onbekend_baseline,
       (laag / nullif(laag_b, 0) - 1)::DOUBLE AS growth_laag,
       (midden / nullif(midden_b, 0) - 1)::DOUBLE AS growth_midden,
       (hoog / nullif(hoog_b, 0) - 1)::DOUBLE AS growth_hoog,
       (100 * ((hoog / nullif(hoog_b, 0)) - (laag / nullif(laag_b, 0))))::DOUBLE AS growth_difference_points
FROM base b
LEFT JOIN (SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken) n USING (gemeente_code)
ORDER BY b.level, b.gemeente_code, b.year
