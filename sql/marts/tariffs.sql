-- marts.tariffs: the contracted tariff per hour, one row per level (gemeente, regio) × product × year of the
-- product catalogue (staging.producten), including years after the data period whose tariffs are already
-- contracted (bron 'gecontracteerd'; 'waarneming' for years of the data period).
-- product_code 'alle': the average tariff at a fixed product mix: Σ over the products with a tariff that
--   year of (declared hours of the product in the last data year × tariff) / Σ of those hours; its change
--   is that of Σ hours × tariff over the products with a tariff in both years (a Laspeyres index, so a
--   shift between products does not move it). regio: per product the gemeenten's tariffs weighted by their
--   hours in the last data year (the plain mean where none), 'alle' with the hours of all gemeenten.
-- change = tariff / tariff of the previous year − 1. trend_growth: the geometric mean yearly change over the
--   data-period years before this year (at least two); step = (1 + change) / (1 + trend_growth) − 1: the
--   rise beyond the usual yearly growth (the 2026 step of the reële tarieven shows here).
-- nl: Het gecontracteerde uurtarief per product en jaar, per gemeente en voor de regio, uit de productcatalogus
-- nl: (producten/), ook voor jaren na de dataperiode waarvan het tarief al is afgesproken (bron
-- nl: 'gecontracteerd'). 'Alle producten' is het gemiddelde tarief bij een vaste productmix: de uren per
-- nl: product van het laatste jaar met gegevens × het tarief van dat jaar, gedeeld door die uren; een
-- nl: verschuiving tussen producten verandert dit gemiddelde dus niet. Voor de regio tellen de uren van alle
-- nl: gemeenten mee. Verandering = tarief / tarief vorig jaar − 1; trend = de gemiddelde jaarlijkse stijging in
-- nl: de jaren daarvóór; tariefstap = (1 + verandering) / (1 + trend) − 1: de stijging bovenop de gewone
-- nl: jaarlijkse stijging (zoals de stap van de reële tarieven in 2026).
-- disclosure: audience council (contracted tariffs per hour and an hours-weighted mean: no person counts)
WITH period AS (
  SELECT year(data_from)::INTEGER AS first_year, year(data_to)::INTEGER AS last_year FROM staging.data_period
), weights AS (  -- declared hours per gemeente and product in the last data year: the fixed mix
  SELECT d.gemeente_code, d.product_code, sum(d.hours) AS hours
  FROM staging.declaraties d, period WHERE d.year = period.last_year GROUP BY ALL
), cat AS (
  SELECT p.gemeente_code, p.product_code, p.year::INTEGER AS year, p.product_name, p.product_kind,
         p.tariff_per_hour, coalesce(w.hours, 0) AS hours
  FROM staging.producten p LEFT JOIN weights w USING (gemeente_code, product_code)
), names AS (
  SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken
), per_product AS (  -- one row per level × product × year; w = the fixed-mix hours
  SELECT 'gemeente' AS level, gemeente_code, product_code, any_value(product_name) AS product_name,
         any_value(product_kind) AS product_kind, year, avg(tariff_per_hour) AS tariff_per_hour, sum(hours) AS w
  FROM cat GROUP BY ALL
  UNION ALL
  SELECT 'regio', NULL, product_code, any_value(product_name), any_value(product_kind), year,
         coalesce(sum(tariff_per_hour * hours) / nullif(sum(hours), 0), avg(tariff_per_hour)), sum(hours)
  FROM cat GROUP BY ALL
), pp AS (
  SELECT *, tariff_per_hour / lag(tariff_per_hour) OVER (
              PARTITION BY level, gemeente_code, product_code ORDER BY year) - 1 AS change,
         lag(tariff_per_hour) OVER (PARTITION BY level, gemeente_code, product_code ORDER BY year) AS previous
  FROM per_product
), t AS (
  SELECT level, gemeente_code, product_code, product_name, product_kind, year, tariff_per_hour, change FROM pp
  UNION ALL  -- all products at a fixed mix; the change over the products with a tariff in both years
  SELECT level, gemeente_code, 'alle', 'Alle producten (vaste mix)', NULL, year,
         sum(tariff_per_hour * w) / nullif(sum(w), 0),
         sum(tariff_per_hour * w) FILTER (WHERE previous IS NOT NULL)
           / nullif(sum(previous * w) FILTER (WHERE previous IS NOT NULL), 0) - 1
  FROM pp GROUP BY ALL
), trend AS (
  SELECT a.level, a.gemeente_code, a.product_code, a.year,
         exp(avg(ln(1 + b.change))) - 1 AS trend_growth
  FROM t a JOIN t b ON b.level = a.level AND b.gemeente_code IS NOT DISTINCT FROM a.gemeente_code
                   AND b.product_code = a.product_code AND b.year < a.year AND b.change IS NOT NULL
  JOIN period ON b.year <= period.last_year
  GROUP BY ALL HAVING count(*) >= 2
)
SELECT t.level, t.gemeente_code, coalesce(n.gemeente_name, 'Regio') AS gemeente_name, t.product_code,
       t.product_name, t.product_kind, t.year,
       CASE WHEN t.year > period.last_year THEN 'gecontracteerd' ELSE 'waarneming' END AS bron,
       t.tariff_per_hour::DOUBLE AS tariff_per_hour, t.change::DOUBLE AS change,
       tr.trend_growth::DOUBLE AS trend_growth,
       ((1 + t.change) / (1 + tr.trend_growth) - 1)::DOUBLE AS step
FROM t CROSS JOIN period
LEFT JOIN trend tr ON tr.level = t.level AND tr.gemeente_code IS NOT DISTINCT FROM t.gemeente_code
                  AND tr.product_code = t.product_code AND tr.year = t.year
LEFT JOIN names n ON n.gemeente_code = t.gemeente_code
WHERE t.year >= period.first_year
ORDER BY t.level, t.gemeente_code, t.product_code, t.year
