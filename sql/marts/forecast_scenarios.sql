-- marts.forecast_scenarios: the scenario switches of the forecast, one row per parameter, with its default
-- value (used for the default columns of marts.forecast), its range and its meaning. The dashboard and
-- hbh_monitor.forecast recompute any scenario from marts.forecast's components with one formula:
--   clients = clients_expected + clients_excess × (1 − excess_removed_share × [year ≥ eigen_bijdrage_year])
--   hours   = clients × hours_per_client × (1 − biweekly_shift_share × weekly_hours_share × 0.5)
--   tariff  = tariff_per_hour × (1 + tariff_growth)^(year − fit_year) × (1 + tariff_step × [year ≥ tariff_step_year > fit_year])
--   cost_eur = hours × tariff
-- excess_removed_share: share of the abonnementstarief excess that disappears when the income-dependent eigen
--   bijdrage comes. Default: the regio's value in marts.eigen_bijdrage_scenario (Σ over the income classes of the
--   share of HbH clients in the class × the class's response; the distribution from the client registration or
--   CBS 85043NED, the responses from the difference in differences or the national monitor); 0.5 (assumption)
--   when neither the registration nor CBS gives an income distribution. eigen_bijdrage_year (2027): first year
--   with the income-dependent eigen bijdrage.
-- biweekly_shift_share (0): share of clients with weekly help who move to help every other week (half the
--   hours). tariff_growth: default = the observed average yearly tariff growth (marts.forecast_inputs).
-- tariff_step in tariff_step_year (2026): the one-off rise of the reële tarieven (CAO). Default: the contracted
--   step when the product catalogue already holds the step year's tariffs (marts.tariffs, regio, all products
--   at a fixed mix): (tariff in the step year / tariff in the fit year) / (1 + tariff_growth)^(step year − fit
--   year) − 1, so the forecast's tariff in the step year equals the contracted one; else 0.10 (assumption).
-- basis: where the default comes from (shown on the dashboard with the standard scenario).
-- nl: De scenario-instellingen van de prognose: één rij per instelling, met de standaardwaarde (gebruikt in
-- nl: de standaardprognose), de toegestane minimum- en maximumwaarde en de betekenis. Het dashboard rekent
-- nl: elk scenario door met één formule: cliënten = verwachte cliënten + extra cliënten (abonnementstarief) ×
-- nl: (1 − het deel dat verdwijnt vanaf het jaar van de inkomensafhankelijke eigen bijdrage); uren = cliënten
-- nl: × uren per cliënt × (1 − deel dat naar eens per twee weken gaat × aandeel wekelijkse uren × 0,5);
-- nl: tarief = uurtarief × (1 + jaarlijkse tariefstijging)^(jaren na het laatste jaar met gegevens) × (1 +
-- nl: eenmalige tariefstap, vanaf het stapjaar); kosten = uren ×
-- nl: tarief. Het deel van de extra groei dat vanaf 2027 verdwijnt met de inkomensafhankelijke eigen bijdrage is
-- nl: standaard: som over de inkomensklassen van (aandeel cliënten in de klasse × reactie van de klasse), met de
-- nl: inkomensverdeling uit de cliëntregistratie of CBS-tabel 85043NED en de reactie uit de eigen gegevens
-- nl: (verschil-in-verschillen) of de landelijke monitor (zie Eigen bijdrage en inkomen); zonder inkomensverdeling
-- nl: de helft (50%, een aanname). Standaard gaat niemand over naar hulp eens per twee weken (0%). De tariefstijging is standaard de waargenomen
-- nl: gemiddelde jaarlijkse stijging, en in 2026 stijgen de tarieven eenmalig (reële tarieven, cao), alleen als
-- nl: dat jaar na het laatste waargenomen jaar valt: met de stap die de gecontracteerde tarieven van 2026 in
-- nl: de productcatalogus laten zien (bovenop de gewone jaarlijkse stijging), of met 10% (een aanname) als die
-- nl: tarieven er nog niet zijn. Bij elke instelling staat waar de standaardwaarde vandaan komt.
-- disclosure: audience council
-- disclosure: recompute from the published marts.forecast_inputs, marts.tariffs, marts.eigen_bijdrage_scenario
WITH fit AS (
  SELECT max(fit_year) AS fit_year, coalesce(max(tariff_growth) FILTER (WHERE fit_year = (
           SELECT max(fit_year) FROM marts.forecast_inputs)), 0) AS tariff_growth
  FROM marts.forecast_inputs
), eb AS (  -- the income distribution × the response per class (regio)
  SELECT excess_removed_share AS share, distribution_source, cbs_table_id, year, response_source, response_from_year,
         response_to_year
  FROM marts.eigen_bijdrage_scenario WHERE level = 'regio' AND excess_removed_share IS NOT NULL
), contracted AS (  -- the contracted tariff step of 2026, when the catalogue holds 2026 and 2026 is a forecast year
  SELECT (max(t.tariff_per_hour) FILTER (WHERE t.year = 2026) / max(t.tariff_per_hour) FILTER (WHERE t.year = fit.fit_year))
         / pow(1 + fit.tariff_growth, 2026 - fit.fit_year) - 1 AS step
  FROM marts.tariffs t, fit
  WHERE t.level = 'regio' AND t.product_code = 'alle' AND fit.fit_year < 2026
  GROUP BY fit.fit_year, fit.tariff_growth
)
SELECT parameter, default_value::DOUBLE AS default_value, min_value::DOUBLE AS min_value,
       max_value::DOUBLE AS max_value, label, basis
FROM (VALUES
  ('excess_removed_share', coalesce((SELECT share FROM eb), 0.5), 0.0, 1.0,
   'Deel van de extra groei (abonnementstarief) dat verdwijnt door de inkomensafhankelijke eigen bijdrage',
   coalesce((SELECT 'inkomensverdeling van de cliënten ('
                    || CASE WHEN distribution_source = 'CBS' THEN 'CBS-tabel ' || coalesce(cbs_table_id, '85043NED')
                            ELSE 'cliëntregistratie' END || ', ' || year || ') × reactie per inkomensklasse ('
                    || CASE WHEN response_source = 'landelijke monitor' THEN 'landelijke monitor abonnementstarief'
                            ELSE 'verschil-in-verschillen ' || response_from_year || '–' || response_to_year END
                    || '): zie Eigen bijdrage en inkomen' FROM eb),
            'aanname: 50% (geen inkomensverdeling van de cliënten: geen inkomensklasse in clienten/ en geen CBS 85043NED)')),
  ('eigen_bijdrage_year', 2027.0, 2026.0, 2030.0, 'Eerste jaar met inkomensafhankelijke eigen bijdrage',
   'aanname (verwachting in de raadsstukken: mogelijk vanaf 2027)'),
  ('biweekly_shift_share', 0.0, 0.0, 1.0, 'Deel van de cliënten met wekelijkse hulp dat naar hulp eens per twee weken gaat (halve uren)',
   'aanname: geen overstap'),
  ('tariff_growth', (SELECT tariff_growth FROM fit), -0.05, 0.15,
   'Jaarlijkse tariefstijging (standaard: de waargenomen gemiddelde stijging)',
   'waargenomen: gemiddelde jaarlijkse stijging van het uurtarief in de regio (declaraties)'),
  ('tariff_step', coalesce((SELECT step FROM contracted), 0.10), 0.0, 0.5,
   'Eenmalige tariefstap (reële tarieven, cao) in het stapjaar',
   CASE WHEN (SELECT step FROM contracted) IS NOT NULL
        THEN 'gecontracteerd: de tarieven van 2026 in de productcatalogus (producten/), bovenop de jaarlijkse stijging'
        ELSE 'aanname: 10% (de tarieven van 2026 staan nog niet in de productcatalogus)' END),
  ('tariff_step_year', 2026.0, 2026.0, 2030.0, 'Jaar van de eenmalige tariefstap', 'raadsstukken: nieuwe contracten per 2026')
) t(parameter, default_value, min_value, max_value, label, basis)
