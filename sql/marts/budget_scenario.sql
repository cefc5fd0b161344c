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
-- The band: cost_error = the largest absolute percentage error of the cost in marts.forecast_backtest for the
--   same gemeente (regio: the regio rows), i.e. what the method missed predicting 1–3 years ahead, widened for
--   later years by √(horizon / 3) (horizon = year − fit_year, at least 3). cost_low / cost_high = cost_eur ×
--   (1 ∓ error); gap_low_eur / gap_high_eur and extra_budget_low_eur / extra_budget_high_eur follow from them.
-- Any other scenario: hbh_monitor.budget recomputes these columns from marts.forecast with the same rules.
-- nl: De verwachte kosten tegenover het budget, per gemeente en voor de regio, per prognosejaar, in het
-- nl: standaardscenario. Kosten: de kostenprognose (uren × tarief, zie de Prognose). Budget: het budget uit de
-- nl: begroting; voor jaren zonder begroting het laatst bekende budget, doorgetrokken met de gemiddelde
-- nl: jaarlijkse groei van het budget in de jaren ervoor. Tekort = kosten − budget; extra budget nodig = het
-- nl: tekort als het positief is (anders 0). De bandbreedte komt uit de terugtoets van de prognose: de grootste
-- nl: afwijking van de kosten die de methode maakte bij het voorspellen van 1 tot 3 jaar vooruit, voor latere
-- nl: jaren breder (× de wortel van het aantal jaren vooruit / 3). Lage en hoge kosten = kosten × (1 ∓ die
-- nl: afwijking); het tekort en het extra budget in de band volgen daaruit.
-- disclosure: audience council
-- disclosure: recompute from the published marts.forecast, marts.forecast_backtest (and the other marts it reads)
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
), err AS (
  SELECT level, gemeente_code, max(ape_cost) AS cost_error FROM marts.forecast_backtest GROUP BY ALL
), banded AS (
  SELECT b.*, e.cost_error * sqrt(greatest(b.year - b.fit_year, 3) / 3.0) AS band
  FROM both_levels b
  LEFT JOIN err e ON e.level = b.level AND e.gemeente_code IS NOT DISTINCT FROM b.gemeente_code
)
SELECT level, gemeente_code, gemeente_name, year::INTEGER AS year, fit_year::INTEGER AS fit_year,
       cost_eur::DOUBLE AS cost_eur, budget_eur::DOUBLE AS budget_eur, budget_basis,
       budget_index::DOUBLE AS budget_index,
       (cost_eur - budget_eur)::DOUBLE AS gap_eur,
       greatest(cost_eur - budget_eur, 0)::DOUBLE AS extra_budget_eur,
       band::DOUBLE AS cost_error,
       (cost_eur * (1 - band))::DOUBLE AS cost_low_eur, (cost_eur * (1 + band))::DOUBLE AS cost_high_eur,
       (cost_eur * (1 - band) - budget_eur)::DOUBLE AS gap_low_eur,
       (cost_eur * (1 + band) - budget_eur)::DOUBLE AS gap_high_eur,
       greatest(cost_eur * (1 - band) - budget_eur, 0)::DOUBLE AS extra_budget_low_eur,
       greatest(cost_eur * (1 + band) - budget_eur, 0)::DOUBLE AS extra_budget_high_eur
FROM banded
ORDER BY level, gemeente_code, year
