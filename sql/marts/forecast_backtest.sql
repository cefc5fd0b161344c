-- marts.forecast_backtest: how well the forecast method predicts years it has not seen. The method of
-- marts.forecast is fitted on the years up to Y−3 (marts.forecast_inputs with fit_year = last year − 3;
-- Y = the last observed year) and predicts Y−2, Y−1 and Y with the OBSERVED population of those years (so
-- the error is that of the usage rates, hours per client and tariff, not of the population projection),
-- with the excess kept as it was (no scenario applied) and the fitted tariff growth.
-- One row per level (gemeente, regio) × predicted year: clients (observed, marts.gemeente_year),
-- predicted_clients = Σ rate_per_1000 × inhabitants / 1000; declared_hours and cost_eur (observed,
-- marts.gemeente_year) against predicted_hours = Σ predicted clients × hours_per_client and predicted_cost_eur =
-- predicted_hours × tariff_per_hour × (1 + tariff_growth)^(year − fit_year).
-- ape_* = |predicted − observed| / observed (absolute percentage error); mape_* = the mean of ape_* over the
-- predicted years of that gemeente (or the region), repeated on each of its rows.
-- nl: Terugtoets: hoe goed de prognosemethode jaren voorspelt die zij niet heeft gezien. De methode wordt
-- nl: geschat op de jaren tot en met drie jaar vóór het laatste waargenomen jaar en voorspelt de drie jaren
-- nl: daarna met de werkelijk waargenomen bevolking, zonder scenario (de extra groei blijft zoals ze was) en
-- nl: met de tot dan gemeten tariefstijging; de fout is dus die van het gebruik per 1.000 inwoners, de uren
-- nl: per cliënt en het tarief, niet die van de bevolkingsprognose. Eén rij per niveau (gemeente of regio)
-- nl: per voorspeld jaar, met waargenomen en voorspelde cliënten, gedeclareerde uren en kosten.
-- nl: Foutpercentage = |voorspeld − waargenomen| / waargenomen; het gemiddelde foutpercentage (MAPE) is het
-- nl: gemiddelde over de voorspelde jaren van die gemeente of de regio en staat op elk van haar rijen.
-- disclosure: audience council
-- disclosure: recompute from the published marts.age_rates and marts.gemeente_year
-- disclosure: persons clients
WITH fit AS (
  SELECT min(fit_year) AS fit_year FROM marts.forecast_inputs
  HAVING min(fit_year) < max(fit_year)
), pred AS (
  SELECT i.gemeente_code, any_value(i.gemeente_name) AS gemeente_name, a.year, i.fit_year,
         sum(i.rate_per_1000 * a.inhabitants / 1000) AS predicted_clients,
         sum(i.rate_per_1000 * a.inhabitants / 1000 * i.hours_per_client) AS predicted_hours,
         sum(i.rate_per_1000 * a.inhabitants / 1000 * i.hours_per_client * i.tariff_per_hour
             * pow(1 + i.tariff_growth, a.year - i.fit_year)) AS predicted_cost_eur
  FROM marts.forecast_inputs i JOIN fit USING (fit_year)
  JOIN marts.age_rates a ON a.wijk_code = i.wijk_code AND a.age_band = i.age_band
                        AND a.year BETWEEN i.fit_year + 1 AND i.fit_year + 3
  GROUP BY i.gemeente_code, a.year, i.fit_year
), obs AS (
  SELECT gemeente_code, year, clients, declared_hours, cost_eur FROM marts.gemeente_year
), both_levels AS (
  SELECT 'gemeente' AS level, p.*, o.clients, o.declared_hours, o.cost_eur
  FROM pred p JOIN obs o USING (gemeente_code, year)
  UNION ALL
  SELECT 'regio', NULL, NULL, p.year, any_value(p.fit_year), sum(p.predicted_clients), sum(p.predicted_hours),
         sum(p.predicted_cost_eur), sum(o.clients), sum(o.declared_hours), sum(o.cost_eur)
  FROM pred p JOIN obs o USING (gemeente_code, year) GROUP BY p.year
), ape AS (
  SELECT *, abs(predicted_clients - clients) / nullif(clients, 0) AS ape_clients,
         abs(predicted_hours - declared_hours) / nullif(declared_hours, 0) AS ape_hours,
         abs(predicted_cost_eur - cost_eur) / nullif(cost_eur, 0) AS ape_cost
  FROM both_levels
)
SELECT level, gemeente_code, gemeente_name, year::INTEGER AS year, fit_year::INTEGER AS fit_year,
       clients::BIGINT AS clients, predicted_clients::DOUBLE AS predicted_clients,
       declared_hours::DOUBLE AS declared_hours, predicted_hours::DOUBLE AS predicted_hours,
       cost_eur::DOUBLE AS cost_eur, predicted_cost_eur::DOUBLE AS predicted_cost_eur,
       ape_clients::DOUBLE AS ape_clients, ape_hours::DOUBLE AS ape_hours, ape_cost::DOUBLE AS ape_cost,
       avg(ape_clients) OVER w::DOUBLE AS mape_clients, avg(ape_hours) OVER w::DOUBLE AS mape_hours,
       avg(ape_cost) OVER w::DOUBLE AS mape_cost
FROM ape
WINDOW w AS (PARTITION BY level, gemeente_code)
ORDER BY level DESC, gemeente_code, year
