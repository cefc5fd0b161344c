-- marts.budget_scenario: the forecast cost against the budget, one row per level (gemeente, regio) × forecast
-- year (the years of marts.forecast, to at least 2030), under the standard scenario (marts.forecast_scenarios).
-- cost_eur: Σ marts.forecast.forecast_cost_eur (the same as the forecast years of marts.budget_risk); regio:
--   the sum of the gemeenten.
-- budget_eur: the budget of the year (staging.budget, budget_basis 'begroting'); for a year without one, the
--   last known budget × (1 + budget_index)^(years after it) (budget_basis 'doorgetrokken'), budget_index = the
--   gemeente's average yearly budget growth over its known budget years (geometric mean; 0 with one year).
--   regio: the sum of the gemeenten's budgets; budget_basis 'doorgetrokken' when any of them is.
-- gap_eur = cost_eur − budget_eur (positive: the budget falls short); extra_budget_eur = max(gap_eur, 0): the
--   extra budget needed in that year.
-- The band: the 80% band of the cost forecast in marts.forecast_bands (measure cost_eur, same level, gemeente and
--   year), as ratios band_low_ratio = lower / forecast and band_high_ratio = upper / forecast: the same band as
--   on the page "Prognose met bandbreedte". cost_low_eur / cost_high_eur = cost_eur × those ratios;
--   gap_low_eur / gap_high_eur and extra_budget_low_eur / extra_budget_high_eur follow from them.
-- Any other scenario: hbh_monitor.budget recomputes these columns from marts.forecast with the same rules.
-- nl: De verwachte kosten tegenover het budget, per gemeente en voor de regio, per prognosejaar, in het
-- nl: standaardscenario. Kosten: de kostenprognose (uren × tarief, zie de Prognose). Budget: het budget uit de
-- nl: begroting; voor jaren zonder begroting het laatst bekende budget, doorgetrokken met de gemiddelde
-- nl: jaarlijkse groei van het budget in de jaren ervoor. Tekort = kosten − budget; extra budget nodig = het
-- nl: tekort als het positief is (anders 0). De bandbreedte is die van de prognose met bandbreedte: de kosten
-- nl: vallen met 80% kans tussen de onder- en bovengrens daar; het tekort en het extra budget in de band volgen
-- nl: daaruit.
-- disclosure: audience council
-- disclosure: recompute from the published marts.forecast, marts.forecast_bands (and the other marts it reads)
WITH fc AS (
  SELECT gemeente_code, any_value(gemeente_name) AS gemeente_name, year, any_value(fit_year) AS fit_year,
         sum(forecast_cost_eur) AS cost_eur
  FROM marts.forecast GROUP BY gemeente_code, year
), known AS (
  SELECT gemeente_code, year, budget_eur FROM staging.budget WHERE budget_eur > 0
), growth AS (
  SELECT gemeente_code, max(year) AS last_year, arg_max(budget_eur, year) AS last_budget,
         coalesce(pow(arg_max(budget_eur, year) / arg_min(budget_eur, year), 1.0 / nullif(max(year) - min(year), 0)) - 1,
                  0) AS budget_index
  FROM known GROUP BY ALL
), gem AS (
  SELECT 'gemeente' AS level, fc.gemeente_code, fc.gemeente_name, fc.year, fc.fit_year, fc.cost_eur,
         coalesce(k.budget_eur, g.last_budget * pow(1 + g.budget_index, fc.year - g.last_year)) AS budget_eur,
         CASE WHEN k.budget_eur IS NOT NULL THEN 'begroting' WHEN g.last_budget IS NOT NULL THEN 'doorgetrokken' END
           AS budget_basis,
         g.budget_index
  FROM fc
  LEFT JOIN known k ON k.gemeente_code = fc.gemeente_code AND k.year = fc.year
  LEFT JOIN growth g ON g.gemeente_code = fc.gemeente_code
), both_levels AS (
  SELECT * FROM gem
  UNION ALL
  SELECT 'regio', NULL, 'Regio', year, any_value(fit_year), sum(cost_eur),
         CASE WHEN count(budget_eur) = count(*) THEN sum(budget_eur) END,
         CASE WHEN count(budget_eur) < count(*) THEN NULL
              WHEN bool_or(budget_basis = 'doorgetrokken') THEN 'doorgetrokken' ELSE 'begroting' END,
         NULL
  FROM gem GROUP BY year
), band AS (
  SELECT level, gemeente_code, year, lower / forecast AS band_low, upper / forecast AS band_high
  FROM marts.forecast_bands WHERE measure = 'cost_eur' AND forecast > 0
), banded AS (
  SELECT b.*, x.band_low, x.band_high
  FROM both_levels b
  LEFT JOIN band x ON x.level = b.level AND x.gemeente_code IS NOT DISTINCT FROM b.gemeente_code AND x.year = b.year
)
SELECT level, gemeente_code, gemeente_name, year::INTEGER AS year, fit_year::INTEGER AS fit_year,
       cost_eur::DOUBLE AS cost_eur, budget_eur::DOUBLE AS budget_eur, budget_basis,
       budget_index::DOUBLE AS budget_index,
       (cost_eur - budget_eur)::DOUBLE AS gap_eur,
       greatest(cost_eur - budget_eur, 0)::DOUBLE AS extra_budget_eur,
       band_low::DOUBLE AS band_low_ratio, band_high::DOUBLE AS band_high_ratio,
       (cost_eur * band_low)::DOUBLE AS cost_low_eur, (cost_eur * band_high)::DOUBLE AS cost_high_eur,
       (cost_eur * band_low - budget_eur)::DOUBLE AS gap_low_eur,
       (cost_eur * band_high - budget_eur)::DOUBLE AS gap_high_eur,
       greatest(cost_eur * band_low - budget_eur, 0)::DOUBLE AS extra_budget_low_eur,
       greatest(cost_eur * band_high - budget_eur, 0)::DOUBLE AS extra_budget_high_eur
FROM banded
ORDER BY level, gemeente_code, year
