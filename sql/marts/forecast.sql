-- marts.forecast: the forecast to the last year of the population projection (at least 2030), one row per
-- wijk × age band × forecast year (the years after the last observed year, fit_year).
-- inhabitants: the projection (staging.bevolking, bron = prognose; an observed figure only where the
--   projection lacks that year). Rates, hours per client, weekly share and tariff: marts.forecast_inputs
--   for the last observed year (rates pooled over its last 3 years, smoothed per wijk).
-- clients_expected = base_rate_per_1000 × inhabitants / 1000: the clients the baseline year's usage gives
--   (demography only, no abonnementstarief excess); clients_excess = excess_rate_per_1000 × inhabitants /
--   1000: the part of today's usage above the baseline.
-- forecast_clients, forecast_hours, tariff_per_hour_year, forecast_cost_eur: the default scenario
--   (marts.forecast_scenarios) with the formula given there (also in pipelines/hbh_monitor/forecast.py):
--   clients = expected + excess × (1 − excess_removed_share from eigen_bijdrage_year); hours = clients ×
--   hours_per_client × (1 − biweekly_shift_share × weekly_hours_share × 0.5); tariff = tariff_per_hour ×
--   (1 + tariff_growth)^(year − fit_year) × (1 + tariff_step from tariff_step_year); cost = hours × tariff.
-- Forecast figures are model values (expected numbers), not counts of persons. Gemeente and region: sum.
-- nl: Eén rij per wijk per leeftijdsgroep per prognosejaar: de jaren na het laatste waargenomen jaar tot het
-- nl: laatste jaar van de bevolkingsprognose (minstens 2030). Inwoners komen uit de bevolkingsprognose; het
-- nl: gebruik per 1.000 inwoners (gemiddeld over de laatste 3 jaar en per wijk afgevlakt), de uren per
-- nl: cliënt, het aandeel wekelijkse hulp en het tarief komen uit het laatste waargenomen jaar. Verwachte
-- nl: cliënten = het gebruik in het basisjaar × inwoners / 1.000 (alleen de bevolkingsontwikkeling); extra
-- nl: cliënten = het deel van het huidige gebruik boven het basisjaar (abonnementstarief) × inwoners / 1.000.
-- nl: Standaardscenario: cliënten = verwacht + extra × (1 − het deel dat verdwijnt vanaf het jaar van de
-- nl: inkomensafhankelijke eigen bijdrage); uren = cliënten × uren per cliënt, minder als cliënten
-- nl: overstappen naar hulp eens per twee weken; tarief = huidig uurtarief met jaarlijkse tariefstijging en
-- nl: een eventuele eenmalige tariefstap; kosten = uren × tarief. Uren en kosten rusten op gedeclareerde
-- nl: (geleverde) uren zorg in natura, en de prognosecijfers zijn modeluitkomsten (verwachte aantallen), geen
-- nl: getelde personen; voor gemeente en regio tel je de rijen op.
-- disclosure: audience council
-- disclosure: recompute from the published marts.age_rates (through marts.forecast_inputs)
-- disclosure: model rate_per_1000, base_rate_per_1000 over marts.age_rates
WITH fit AS (
  SELECT max(fit_year) AS fit_year FROM marts.forecast_inputs
), s AS (
  SELECT max(default_value) FILTER (WHERE parameter = 'excess_removed_share') AS excess_removed_share,
         max(default_value) FILTER (WHERE parameter = 'eigen_bijdrage_year') AS eigen_bijdrage_year,
         max(default_value) FILTER (WHERE parameter = 'biweekly_shift_share') AS biweekly_shift_share,
         max(default_value) FILTER (WHERE parameter = 'tariff_growth') AS tariff_growth,
         max(default_value) FILTER (WHERE parameter = 'tariff_step') AS tariff_step,
         max(default_value) FILTER (WHERE parameter = 'tariff_step_year') AS tariff_step_year
  FROM marts.forecast_scenarios
), pop AS (
  SELECT wijk_code, year, age_band, arg_max(inhabitants, bron = 'prognose') AS inhabitants
  FROM staging.bevolking
  WHERE year > (SELECT fit_year FROM fit)
  GROUP BY ALL
), comp AS (
  SELECT i.gemeente_code, i.gemeente_name, i.wijk_code, i.wijk_name, i.age_band, p.year::INTEGER AS year,
         i.fit_year, p.inhabitants::BIGINT AS inhabitants, i.rate_per_1000, i.base_rate_per_1000,
         (i.base_rate_per_1000 * p.inhabitants / 1000)::DOUBLE AS clients_expected,
         (i.excess_rate_per_1000 * p.inhabitants / 1000)::DOUBLE AS clients_excess,
         i.hours_per_client, i.weekly_hours_share, i.tariff_per_hour
  FROM marts.forecast_inputs i
  JOIN fit USING (fit_year)
  JOIN pop p ON p.wijk_code = i.wijk_code AND p.age_band = i.age_band
), calc AS (
  SELECT c.*,
         c.clients_expected + c.clients_excess * (1 - CASE WHEN c.year >= s.eigen_bijdrage_year THEN s.excess_removed_share ELSE 0 END) AS forecast_clients,
         c.tariff_per_hour * pow(1 + s.tariff_growth, c.year - c.fit_year)
           * (1 + CASE WHEN c.year >= s.tariff_step_year AND s.tariff_step_year > c.fit_year THEN s.tariff_step ELSE 0 END) AS tariff_per_hour_year,
         s.biweekly_shift_share
  FROM comp c CROSS JOIN s
)
SELECT gemeente_code, gemeente_name, wijk_code, wijk_name, age_band, year, fit_year, inhabitants,
       rate_per_1000, base_rate_per_1000, clients_expected, clients_excess, hours_per_client,
       weekly_hours_share, tariff_per_hour,
       forecast_clients::DOUBLE AS forecast_clients,
       (forecast_clients * hours_per_client * (1 - biweekly_shift_share * weekly_hours_share * 0.5))::DOUBLE AS forecast_hours,
       tariff_per_hour_year::DOUBLE AS tariff_per_hour_year,
       (forecast_clients * hours_per_client * (1 - biweekly_shift_share * weekly_hours_share * 0.5) * tariff_per_hour_year)::DOUBLE AS forecast_cost_eur
FROM calc
ORDER BY gemeente_code, wijk_code, year, age_band
