-- marts.forecast_inputs: the fitted inputs of the forecast, one row per fit year × wijk × age band.
-- fit_year: the last observed year used; two fits: the last year of the data (used by marts.forecast)
--   and three years earlier (used by marts.forecast_backtest, which predicts the three years after it).
-- Age-specific rates are smoothed by indirect standardisation, so a small wijk × band cell never rests
--   on a handful of clients: rate_per_1000 = gemeente rate of the band (clients / inhabitants, pooled over
--   the last 3 observed years up to fit_year) × wijk factor (the wijk's clients / the clients the gemeente
--   band rates give with the wijk's population, pooled over the same years).
-- base_rate_per_1000: the same in the baseline year alone (HBH_BASELINE_YEAR, default 2018): the usage
--   before the abonnementstarief (the recent rate when the data lacks the baseline year).
--   excess_rate_per_1000 = rate_per_1000 − base_rate_per_1000 (the excess).
-- hours_per_client: declared hours / clients of the gemeente and band in fit_year (pgb clients have no
--   declarations, so this is declared zorg-in-natura hours per client).
-- weekly_hours_share: share of the gemeente's declared hours in fit_year on regular weekly products.
-- tariff_per_hour: the gemeente's cost / declared hours in fit_year (contracted tariffs, product mix).
-- Cells without a (published) client count are left out of both sums (on the published snapshot: the hidden ones).
-- tariff_growth: average yearly growth of the region's average tariff (cost / declared hour) from the first
--   data year up to fit_year (geometric mean).
-- nl: De geschatte invoer van de prognose: één rij per schattingsjaar per wijk per leeftijdsgroep. Er zijn
-- nl: twee schattingen: op het laatste jaar van de data (voor de prognose) en op drie jaar eerder (voor de
-- nl: terugtoets, die de drie jaren daarna voorspelt). Het gebruik per 1.000 inwoners wordt afgevlakt, zodat
-- nl: een kleine wijk of leeftijdsgroep nooit op een handvol cliënten rust: het gebruik van de gemeente in
-- nl: die leeftijdsgroep (over de laatste 3 jaar) × een wijkfactor (de cliënten van de wijk gedeeld door het
-- nl: aantal dat de gemeentecijfers met de bevolking van de wijk zouden geven); het basisgebruik is hetzelfde
-- nl: voor het basisjaar (standaard 2018, vóór het abonnementstarief) en het verschil met het huidige gebruik
-- nl: is de extra groei. Uren per cliënt = gedeclareerde uren / cliënten van gemeente en leeftijdsgroep;
-- nl: omdat pgb niet bij de gemeente wordt gedeclareerd, zijn dit uren zorg in natura per cliënt. Tarief per
-- nl: uur = kosten / gedeclareerde uren van de gemeente; tariefstijging = de gemiddelde jaarlijkse stijging
-- nl: van het gemiddelde uurtarief in de regio sinds het eerste datajaar; aandeel wekelijkse hulp = het deel
-- nl: van de gedeclareerde uren op reguliere wekelijkse producten.
-- disclosure: audience analyst
-- disclosure: model rate_per_1000, base_rate_per_1000 over marts.age_rates
-- disclosure: recompute from the published marts.age_rates (for the council snapshot's forecast)
WITH last AS (
  SELECT year(data_to)::INTEGER AS last_year, year(data_from)::INTEGER AS first_year FROM staging.data_period
), fits AS (
  SELECT last_year AS fit_year FROM last
  UNION ALL SELECT last_year - 3 FROM last WHERE last_year - 3 >= first_year
), cells AS (
  SELECT f.fit_year, a.gemeente_code, a.gemeente_name, a.wijk_code, a.wijk_name, a.age_band,
         sum(a.clients) AS clients, sum(a.inhabitants) FILTER (WHERE a.clients IS NOT NULL) AS inhabitants
  FROM fits f JOIN marts.age_rates a ON a.year BETWEEN f.fit_year - 2 AND f.fit_year
  GROUP BY ALL
), base_cells AS (
  SELECT f.fit_year, a.gemeente_code, a.gemeente_name, a.wijk_code, a.wijk_name, a.age_band,
         a.clients, CASE WHEN a.clients IS NOT NULL THEN a.inhabitants END AS inhabitants
  FROM fits f JOIN marts.age_rates a ON a.year = getvariable('baseline_year')
), smooth AS (
  SELECT 'recent' AS kind, * FROM cells UNION ALL SELECT 'base', * FROM base_cells
), gem_band AS (
  SELECT kind, fit_year, gemeente_code, age_band, sum(clients) / nullif(sum(inhabitants), 0) AS rate
  FROM smooth GROUP BY ALL
), wijk_factor AS (
  SELECT s.kind, s.fit_year, s.wijk_code,
         sum(s.clients) / nullif(sum(g.rate * s.inhabitants), 0) AS factor
  FROM smooth s JOIN gem_band g USING (kind, fit_year, gemeente_code, age_band)
  GROUP BY ALL
), rates AS (
  SELECT s.kind, s.fit_year, s.gemeente_code, s.gemeente_name, s.wijk_code, s.wijk_name, s.age_band,
         1000 * coalesce(g.rate * f.factor, 0) AS rate_per_1000
  FROM smooth s JOIN gem_band g USING (kind, fit_year, gemeente_code, age_band)
  JOIN wijk_factor f USING (kind, fit_year, wijk_code)
), hours AS (
  SELECT f.fit_year, c.gemeente_code, c.age_band, sum(d.hours) AS hours
  FROM fits f
  JOIN staging.declaraties d ON d.year = f.fit_year
  JOIN staging.client_years c ON c.client_id = d.client_id AND c.year = d.year
  GROUP BY ALL
), band_clients AS (
  SELECT f.fit_year, c.gemeente_code, c.age_band, count(*) AS clients
  FROM fits f JOIN staging.client_years c ON c.year = f.fit_year GROUP BY ALL
), product AS (
  SELECT gemeente_code, product_code, arg_max(weeks_per_visit, year) AS weeks_per_visit,
         arg_max(product_kind, year) AS product_kind
  FROM staging.producten GROUP BY ALL
), gem_year AS (
  SELECT d.gemeente_code, d.year, sum(d.hours) AS hours, sum(d.cost_eur) AS cost_eur,
         sum(d.hours) FILTER (WHERE p.product_kind = 'regulier' AND coalesce(p.weeks_per_visit, 1) = 1) AS weekly_hours
  FROM staging.declaraties d LEFT JOIN product p USING (gemeente_code, product_code)
  GROUP BY ALL
), region_tariff AS (
  SELECT year, sum(cost_eur) / nullif(sum(hours), 0) AS tariff FROM gem_year GROUP BY ALL
), growth AS (
  SELECT f.fit_year,
         pow(max(t.tariff) FILTER (WHERE t.year = f.fit_year) / nullif(arg_min(t.tariff, t.year), 0),
             1.0 / nullif(f.fit_year - min(t.year), 0)) - 1 AS tariff_growth
  FROM fits f JOIN region_tariff t ON t.year <= f.fit_year
  GROUP BY f.fit_year
)
SELECT r.fit_year::INTEGER AS fit_year, r.gemeente_code, r.gemeente_name, r.wijk_code, r.wijk_name, r.age_band,
       r.rate_per_1000::DOUBLE AS rate_per_1000,
       coalesce(b.rate_per_1000, r.rate_per_1000)::DOUBLE AS base_rate_per_1000,
       (r.rate_per_1000 - coalesce(b.rate_per_1000, r.rate_per_1000))::DOUBLE AS excess_rate_per_1000,
       coalesce(h.hours / nullif(bc.clients, 0), 0)::DOUBLE AS hours_per_client,
       coalesce(gy.weekly_hours / nullif(gy.hours, 0), 0)::DOUBLE AS weekly_hours_share,
       (gy.cost_eur / nullif(gy.hours, 0))::DOUBLE AS tariff_per_hour,
       coalesce(g.tariff_growth, 0)::DOUBLE AS tariff_growth
FROM rates r
LEFT JOIN rates b ON b.kind = 'base' AND b.fit_year = r.fit_year AND b.wijk_code = r.wijk_code AND b.age_band = r.age_band
LEFT JOIN hours h ON h.fit_year = r.fit_year AND h.gemeente_code = r.gemeente_code AND h.age_band = r.age_band
LEFT JOIN band_clients bc ON bc.fit_year = r.fit_year AND bc.gemeente_code = r.gemeente_code AND bc.age_band = r.age_band
LEFT JOIN gem_year gy ON gy.gemeente_code = r.gemeente_code AND gy.year = r.fit_year
LEFT JOIN growth g ON g.fit_year = r.fit_year
WHERE r.kind = 'recent'
ORDER BY fit_year, r.gemeente_code, r.wijk_code, r.age_band
