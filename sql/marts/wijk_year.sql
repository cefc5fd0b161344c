-- marts.wijk_year: one row per wijk per year of the data period.
-- clients: persons with at least one active HbH indication in the year, counted in the wijk of
--   their latest indication (staging.client_years); new_clients: of those, without an indication
--   in the previous year (instroom).
-- inhabitants / inhabitants_75plus: population on 1 January (staging.bevolking, waarneming). Where the
--   municipality's own population has no rows for a wijk and year, CBS Kerncijfers wijken en buurten
--   (staging.cbs_kwb, the wijk's AantalInwoners of that year) supplies inhabitants; KWB has no 75+ band, so
--   inhabitants_75plus stays empty there. population_source says which: 'gemeente' or 'CBS KWB' (NULL: none).
-- clients_75plus: of the clients, those aged 75 or older on 1 January (age bands 75-84 and 85+).
-- clients_per_1000 = clients / inhabitants × 1000; clients_per_1000_75plus = clients_75plus / inhabitants 75+ × 1000
--   (clients aged 75+ per 1,000 inhabitants aged 75+: the share of the over-75s who get HbH, per mille).
-- indicated_hours: Σ over the wijk's indicaties of hours per week × days active in the year / 7 (within
--   the data period, so up to the last declared month when a year is not complete yet).
-- declared_hours, cost_eur: Σ of declared hours, and of the cost (hours × contracted tariff; DECIMAL, exact),
--   of declaration lines in the year, attributed to the wijk of the indication they were declared on
--   (lines whose wijk cannot be known are in marts.gemeente_year as "wijk onbekend").
-- growth_vs_baseline = clients / clients in the baseline year (HBH_BASELINE_YEAR, default 2018) − 1;
-- growth_vs_previous = clients / clients in the previous year − 1.
-- nl: Eén rij per wijk per jaar van de dataperiode. Cliënten: personen met in het jaar minstens één lopende
-- nl: indicatie voor hulp bij het huishouden, geteld in de wijk van hun laatst gestarte indicatie (elke
-- nl: cliënt telt in één wijk); instroom: cliënten die het jaar ervoor geen lopende indicatie hadden (leeg in
-- nl: het eerste jaar). Cliënten per 1.000 inwoners = cliënten / inwoners op 1 januari × 1.000; cliënten van 75+
-- nl: per 1.000 inwoners van 75+ = cliënten van 75 jaar en ouder (op 1 januari) / inwoners van 75 jaar en ouder
-- nl: × 1.000: hoeveel van elke 1.000 75-plussers hulp bij het huishouden krijgen. Inwoners komen uit de
-- nl: eigen bevolkingsgegevens van de gemeente; ontbreekt een wijk in een jaar daar, dan uit de CBS Kerncijfers
-- nl: wijken en buurten (zonder 75+, want die groep heeft het CBS daar niet); bron_bevolking zegt welke.
-- nl: Geïndiceerde uren: uren per week × dagen dat de indicatie in het jaar liep / 7, voor zorg in natura én
-- nl: pgb, in een lopend jaar tot en met de laatste gedeclareerde maand; gedeclareerde uren en kosten (uren ×
-- nl: gecontracteerd tarief) komen uit de declaraties van aanbieders, alleen zorg in natura (pgb wordt niet
-- nl: bij de gemeente gedeclareerd). Groei: het aantal cliënten ten opzichte van het basisjaar (standaard
-- nl: 2018) en ten opzichte van het vorige jaar.
-- disclosure: audience council
-- disclosure: persons clients, new_clients, clients_baseline, clients_75plus
-- disclosure: derived clients_per_1000 = 1000.0 * clients / nullif(inhabitants, 0)
-- disclosure: derived clients_per_1000_75plus = 1000.0 * clients_75plus / nullif(inhabitants_75plus, 0)
-- disclosure: derived growth_vs_baseline = clients / nullif(clients_baseline, 0) - 1
-- disclosure: derived growth_vs_previous = clients / nullif(lag(clients) OVER (PARTITION BY wijk_code ORDER BY year), 0) - 1
-- disclosure: hidden indicated_hours, declared_hours, cost_eur with clients
-- disclosure: margin clients, new_clients, clients_75plus over wijk_code into marts.gemeente_year
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), clients AS (
  SELECT wijk_code, year, count(*) AS clients, count(*) FILTER (WHERE is_new) AS new_clients,
         count(*) FILTER (WHERE age_band IN ('75-84', '85+')) AS clients_75plus,
         bool_and(is_new IS NULL) AS first_year
  FROM staging.client_years GROUP BY ALL
), own_pop AS (
  SELECT wijk_code, year, sum(inhabitants) AS inhabitants,
         sum(inhabitants) FILTER (WHERE age_band IN ('75-84', '85+')) AS inhabitants_75plus
  FROM staging.bevolking WHERE bron = 'waarneming' GROUP BY ALL
), kwb_pop AS (
  SELECT region_code AS wijk_code, year, inhabitants
  FROM staging.cbs_kwb WHERE region_level = 'wijk' AND inhabitants IS NOT NULL
), pop AS (
  SELECT coalesce(o.wijk_code, k.wijk_code) AS wijk_code, coalesce(o.year, k.year) AS year,
         coalesce(o.inhabitants, k.inhabitants) AS inhabitants, o.inhabitants_75plus,
         CASE WHEN o.wijk_code IS NOT NULL THEN 'gemeente' ELSE 'CBS KWB' END AS population_source
  FROM own_pop o
  FULL JOIN kwb_pop k ON k.wijk_code = o.wijk_code AND k.year = o.year
), bounds AS (
  -- the data period in whole months: a year whose last declarations have not arrived yet is
  -- counted up to the last declared month, for indicated and declared hours alike
  SELECT y.year, greatest(make_date(y.year, 1, 1), date_trunc('month', p.data_from)::DATE) AS lo,
         least(make_date(y.year, 12, 31), last_day(p.data_to)) AS hi
  FROM years y, staging.data_period p
), indicated AS (
  SELECT i.wijk_code, b.year,
         sum(i.hours_per_week * (date_diff('day',
               greatest(i.start_date, b.lo),
               least(coalesce(i.end_date, DATE '9999-12-31'), b.hi)) + 1) / 7.0) AS indicated_hours
  FROM staging.indicaties i
  JOIN bounds b ON i.start_date <= b.hi AND coalesce(i.end_date, DATE '9999-12-31') >= b.lo
  GROUP BY ALL
), declared AS (
  SELECT i.wijk_code, d.year, sum(d.hours) AS declared_hours, sum(d.cost_eur) AS cost_eur
  FROM staging.declaraties d
  JOIN staging.indicaties i USING (gemeente_code, toewijzing_nummer)
  GROUP BY ALL
), base AS (
  SELECT w.gemeente_code, w.gemeente_name, w.wijk_code, w.wijk_name, y.year,
         coalesce(c.clients, 0) AS clients, coalesce(c.clients_75plus, 0) AS clients_75plus,
         CASE WHEN y.year > (SELECT min(year) FROM years) THEN coalesce(c.new_clients, 0) END AS new_clients,
         p.inhabitants, p.inhabitants_75plus, p.population_source,
         coalesce(ind.indicated_hours, 0)::DOUBLE AS indicated_hours,
         coalesce(dec.declared_hours, 0)::DOUBLE AS declared_hours,
         coalesce(dec.cost_eur, 0)::DECIMAL(18, 6) AS cost_eur
  FROM staging.wijken w
  CROSS JOIN years y
  LEFT JOIN clients c ON c.wijk_code = w.wijk_code AND c.year = y.year
  LEFT JOIN pop p ON p.wijk_code = w.wijk_code AND p.year = y.year
  LEFT JOIN indicated ind ON ind.wijk_code = w.wijk_code AND ind.year = y.year
  LEFT JOIN declared dec ON dec.wijk_code = w.wijk_code AND dec.year = y.year
)
SELECT gemeente_code, gemeente_name, wijk_code, wijk_name, year::INTEGER AS year, clients::BIGINT AS clients,
       new_clients::BIGINT AS new_clients, inhabitants::BIGINT AS inhabitants, inhabitants_75plus::BIGINT AS inhabitants_75plus,
       clients_75plus::BIGINT AS clients_75plus, population_source,
       1000.0 * clients / nullif(inhabitants, 0) AS clients_per_1000,
       1000.0 * clients_75plus / nullif(inhabitants_75plus, 0) AS clients_per_1000_75plus,
       indicated_hours, declared_hours, cost_eur,
       getvariable('baseline_year')::INTEGER AS baseline_year,
       (max(clients) FILTER (WHERE year = getvariable('baseline_year')) OVER (PARTITION BY wijk_code))::BIGINT AS clients_baseline,
       clients / nullif(clients_baseline, 0) - 1 AS growth_vs_baseline,
       clients / nullif(lag(clients) OVER (PARTITION BY wijk_code ORDER BY year), 0) - 1 AS growth_vs_previous
FROM base
ORDER BY gemeente_code, wijk_code, year
