-- marts.wijk_year_detail: one row per wijk per year of the data period: how the help is delivered
-- (leveringsvorm) and which products (product mix). Complements marts.wijk_year (same wijk, year, clients).
-- clients: as in marts.wijk_year (staging.client_years: the client's wijk that year).
-- clients_zin / clients_pgb: of those, clients with at least one active zorg-in-natura / pgb indication
--   in the year (a client with both counts in both); share_pgb = clients_pgb / clients.
-- clients_weekly / clients_biweekly / clients_maatwerk: clients with an active indication for a regular
--   weekly product (productsoort regulier, help every week, e.g. 01A01), for a regular product every
--   other week (frequentie_weken 2), or for a maatwerk product (e.g. wasverzorging); a client can have several.
-- indicated_hours_*: indicated hours in the year (hours per week × days active / 7, as in marts.wijk_year)
--   per product group and per leveringsvorm; share_hours_weekly / _biweekly / _maatwerk = the group's
--   indicated hours / all indicated hours of the wijk-year (they add up to 1).
-- Gemeente and region totals: sum the counts and hours by gemeente_code, then recompute the shares.
-- nl: Eén rij per wijk per jaar van de dataperiode: hoe de hulp wordt geleverd (zorg in natura of pgb) en
-- nl: welke producten. Cliënten zoals in het overzicht per wijk per jaar; daarvan het aantal met minstens één
-- nl: lopende indicatie in zorg in natura en met pgb (een cliënt met beide telt bij beide mee) en het aandeel
-- nl: pgb = pgb-cliënten / cliënten. Per productgroep het aantal cliënten met wekelijkse hulp, met hulp eens
-- nl: per twee weken en met een maatwerkproduct (zoals wasverzorging); een cliënt kan in meerdere groepen
-- nl: vallen. Geïndiceerde uren per productgroep en per leveringsvorm (uren per week × dagen dat de indicatie
-- nl: in het jaar liep / 7); de aandelen uren per productgroep tellen op tot 100%. Voor gemeente- en
-- nl: regiototalen tel je de aantallen en uren op en bereken je de aandelen opnieuw.
-- disclosure: audience council
-- disclosure: persons clients, clients_zin, clients_pgb, clients_weekly, clients_biweekly, clients_maatwerk
-- disclosure: derived share_pgb = clients_pgb / nullif(clients, 0)
-- disclosure: hidden indicated_hours with clients
-- disclosure: hidden indicated_hours_weekly with clients, clients_weekly
-- disclosure: hidden indicated_hours_biweekly with clients, clients_biweekly
-- disclosure: hidden indicated_hours_maatwerk with clients, clients_maatwerk
-- disclosure: hidden indicated_hours_zin, indicated_hours_pgb with clients, clients_zin, clients_pgb
-- disclosure: derived share_hours_weekly = indicated_hours_weekly / nullif(indicated_hours, 0)
-- disclosure: derived share_hours_biweekly = indicated_hours_biweekly / nullif(indicated_hours, 0)
-- disclosure: derived share_hours_maatwerk = indicated_hours_maatwerk / nullif(indicated_hours, 0)
-- disclosure: parts clients = clients_zin + clients_pgb
-- disclosure: same clients = marts.wijk_year.clients
-- disclosure: same clients_zin = marts.delivery_year.clients where aanbieder_agb = 'alle'
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), product AS (
  SELECT gemeente_code, product_code, arg_max(weeks_per_visit, year) AS weeks_per_visit
  FROM staging.producten GROUP BY ALL
), ind AS (
  SELECT i.client_id, y.year, i.leveringsvorm,
         CASE WHEN i.product_kind = 'maatwerk' THEN 'maatwerk'
              WHEN coalesce(p.weeks_per_visit, 1) >= 2 THEN 'biweekly' ELSE 'weekly' END AS product_group,
         i.hours_per_week * (date_diff('day', greatest(i.start_date, make_date(y.year, 1, 1)),
             least(coalesce(i.end_date, DATE '9999-12-31'), make_date(y.year, 12, 31))) + 1) / 7.0 AS hours,
         i.wijk_code AS indicatie_wijk
  FROM staging.indicaties i
  LEFT JOIN product p USING (gemeente_code, product_code)
  JOIN years y ON i.start_date <= make_date(y.year, 12, 31)
              AND coalesce(i.end_date, DATE '9999-12-31') >= make_date(y.year, 1, 1)
), per_client AS (
  SELECT c.wijk_code, c.year, c.client_id,
         bool_or(i.leveringsvorm = 'ZIN') AS zin, bool_or(i.leveringsvorm = 'PGB') AS pgb,
         bool_or(i.product_group = 'weekly') AS weekly, bool_or(i.product_group = 'biweekly') AS biweekly,
         bool_or(i.product_group = 'maatwerk') AS maatwerk
  FROM staging.client_years c JOIN ind i USING (client_id, year)
  GROUP BY ALL
), cl AS (
  SELECT wijk_code, year, count(*) AS clients,
         count(*) FILTER (WHERE zin) AS clients_zin, count(*) FILTER (WHERE pgb) AS clients_pgb,
         count(*) FILTER (WHERE weekly) AS clients_weekly, count(*) FILTER (WHERE biweekly) AS clients_biweekly,
         count(*) FILTER (WHERE maatwerk) AS clients_maatwerk
  FROM per_client GROUP BY ALL
), hrs AS (  -- hours in the wijk of the indication, as marts.wijk_year.indicated_hours
  SELECT indicatie_wijk AS wijk_code, year, sum(hours) AS indicated_hours,
         sum(hours) FILTER (WHERE product_group = 'weekly') AS indicated_hours_weekly,
         sum(hours) FILTER (WHERE product_group = 'biweekly') AS indicated_hours_biweekly,
         sum(hours) FILTER (WHERE product_group = 'maatwerk') AS indicated_hours_maatwerk,
         sum(hours) FILTER (WHERE leveringsvorm = 'ZIN') AS indicated_hours_zin,
         sum(hours) FILTER (WHERE leveringsvorm = 'PGB') AS indicated_hours_pgb
  FROM ind GROUP BY ALL
)
SELECT w.gemeente_code, w.gemeente_name, w.wijk_code, w.wijk_name, y.year::INTEGER AS year,
       coalesce(cl.clients, 0)::BIGINT AS clients,
       coalesce(cl.clients_zin, 0)::BIGINT AS clients_zin, coalesce(cl.clients_pgb, 0)::BIGINT AS clients_pgb,
       coalesce(cl.clients_pgb, 0) / nullif(coalesce(cl.clients, 0), 0) AS share_pgb,
       coalesce(cl.clients_weekly, 0)::BIGINT AS clients_weekly,
       coalesce(cl.clients_biweekly, 0)::BIGINT AS clients_biweekly,
       coalesce(cl.clients_maatwerk, 0)::BIGINT AS clients_maatwerk,
       coalesce(h.indicated_hours, 0)::DOUBLE AS indicated_hours,
       coalesce(h.indicated_hours_weekly, 0)::DOUBLE AS indicated_hours_weekly,
       coalesce(h.indicated_hours_biweekly, 0)::DOUBLE AS indicated_hours_biweekly,
       coalesce(h.indicated_hours_maatwerk, 0)::DOUBLE AS indicated_hours_maatwerk,
       coalesce(h.indicated_hours_zin, 0)::DOUBLE AS indicated_hours_zin,
       coalesce(h.indicated_hours_pgb, 0)::DOUBLE AS indicated_hours_pgb,
       (coalesce(h.indicated_hours_weekly, 0) / nullif(h.indicated_hours, 0))::DOUBLE AS share_hours_weekly,
       (coalesce(h.indicated_hours_biweekly, 0) / nullif(h.indicated_hours, 0))::DOUBLE AS share_hours_biweekly,
       (coalesce(h.indicated_hours_maatwerk, 0) / nullif(h.indicated_hours, 0))::DOUBLE AS share_hours_maatwerk
FROM staging.wijken w
CROSS JOIN years y
LEFT JOIN cl ON cl.wijk_code = w.wijk_code AND cl.year = y.year
LEFT JOIN hrs h ON h.wijk_code = w.wijk_code AND h.year = y.year
ORDER BY w.gemeente_code, w.wijk_code, y.year
