-- marts.forecast_bands: the forecast (default scenario, marts.forecast) with an 80% prediction band, one row
-- per level (gemeente, regio) × forecast year × measure (clients, hours, cost_eur).
-- The band comes from the backtest (marts.forecast_backtest, gemeente rows): the log error of each held-back
-- year e = ln(observed / predicted) at horizon h = year − fit_year; sigma = √(mean of e² / h) over all
-- gemeenten and years of the measure (the error is taken to grow with √h, centred on the forecast).
-- lower / upper = forecast × exp(∓ z × sigma × √h), z = 1.2816 (80% of a normal distribution); h counts
-- from the forecast's fit year. coverage = 0.80 (the stated rate). The regio uses the same relative band.
-- backtest_points / backtest_covered: a leave-one-gemeente-out check of that rate: for each gemeente the
-- band is made from the other gemeenten's errors only, and it is counted how many of its held-back years
-- fell inside (the same for every row of the measure).
-- budget_eur: staging.budget for the gemeente and year (cost rows only; regio: sum when every gemeente has one).
-- nl: De prognose (standaardscenario) met een bandbreedte waarbinnen de uitkomst met 80% kans valt. De breedte
-- nl: komt uit de terugtoets: hoe ver de methode er in de drie achtergehouden jaren naast zat (de fout als
-- nl: verhouding waargenomen / voorspeld), over alle gemeenten samen, en groeit met de wortel van het aantal
-- nl: jaren vooruit. Ondergrens en bovengrens = prognose × e^(∓1,28 × spreiding × √jaren vooruit). Of die 80%
-- nl: klopt, is nagerekend: per gemeente een band uit de fouten van de andere gemeenten, en geteld hoeveel
-- nl: van haar achtergehouden jaren erbinnen vielen. De band zegt niets over beleidskeuzes of een andere
-- nl: bevolkingsontwikkeling; die staan in de scenario's. Budget: de begroting van de gemeente voor dat jaar.
-- disclosure: audience council
-- disclosure: recompute from the published marts.forecast, marts.forecast_backtest (and the other marts it reads)
WITH bt AS (
  SELECT gemeente_code, (year - fit_year)::DOUBLE AS h,
         ln(clients / predicted_clients) AS e_clients, ln(declared_hours / predicted_hours) AS e_hours,
         ln(cost_eur / predicted_cost_eur) AS e_cost_eur
  FROM marts.forecast_backtest
  WHERE level = 'gemeente' AND clients > 0 AND predicted_clients > 0 AND declared_hours > 0 AND predicted_hours > 0
    AND cost_eur > 0 AND predicted_cost_eur > 0
), errors AS (
  UNPIVOT bt ON e_clients AS 'clients', e_hours AS 'hours', e_cost_eur AS 'cost_eur' INTO NAME measure VALUE e
), sigma AS (
  SELECT measure, sqrt(avg(e * e / h)) AS sigma FROM errors GROUP BY measure
), loo_sigma AS (
  SELECT a.measure, a.gemeente_code, sqrt(avg(b.e * b.e / b.h)) AS sigma
  FROM (SELECT DISTINCT measure, gemeente_code FROM errors) a
  JOIN errors b ON b.measure = a.measure AND b.gemeente_code <> a.gemeente_code
  GROUP BY ALL
), loo AS (
  SELECT e.measure, count(*) AS backtest_points,
         count_if(abs(e.e) <= 1.2815516 * s.sigma * sqrt(e.h)) AS backtest_covered
  FROM errors e JOIN loo_sigma s USING (measure, gemeente_code)
  GROUP BY e.measure
), fc AS (
  SELECT 'gemeente' AS level, gemeente_code, any_value(gemeente_name) AS gemeente_name, year, any_value(fit_year) AS fit_year,
         sum(forecast_clients) AS clients, sum(forecast_hours) AS hours, sum(forecast_cost_eur) AS cost_eur
  FROM marts.forecast GROUP BY gemeente_code, year
  UNION ALL
  SELECT 'regio', NULL, NULL, year, any_value(fit_year), sum(forecast_clients), sum(forecast_hours), sum(forecast_cost_eur)
  FROM marts.forecast GROUP BY year
), fc_long AS (
  UNPIVOT fc ON clients, hours, cost_eur INTO NAME measure VALUE forecast
), budget AS (
  SELECT 'gemeente' AS level, gemeente_code, year, budget_eur FROM staging.budget
  UNION ALL
  SELECT 'regio', NULL, year, sum(budget_eur) FROM staging.budget GROUP BY year
  HAVING count(*) = (SELECT count(DISTINCT gemeente_code) FROM marts.forecast)
)
SELECT f.level, f.gemeente_code, f.gemeente_name, f.year::INTEGER AS year, f.fit_year::INTEGER AS fit_year,
       (f.year - f.fit_year)::INTEGER AS horizon, f.measure, f.forecast::DOUBLE AS forecast,
       (f.forecast * exp(-1.2815516 * s.sigma * sqrt(f.year - f.fit_year)))::DOUBLE AS lower,
       (f.forecast * exp(1.2815516 * s.sigma * sqrt(f.year - f.fit_year)))::DOUBLE AS upper,
       0.80::DOUBLE AS coverage, s.sigma::DOUBLE AS sigma,
       l.backtest_points::BIGINT AS backtest_points, l.backtest_covered::BIGINT AS backtest_covered,
       CASE WHEN f.measure = 'cost_eur' THEN b.budget_eur END::DOUBLE AS budget_eur
FROM fc_long f
JOIN sigma s USING (measure)
LEFT JOIN loo l USING (measure)
LEFT JOIN budget b ON b.level = f.level AND b.gemeente_code IS NOT DISTINCT FROM f.gemeente_code AND b.year = f.year
ORDER BY f.level DESC, f.gemeente_code, f.measure, f.year
