-- marts.wijk_month: one row per wijk per calendar month of the data period (year, month).
-- clients: persons with at least one HbH indication active on at least one day of the month, counted
--   in the wijk of the indication that started last among those active in the month (same start: the higher
--   wijk code), so each client is
--   in one wijk a month; the monthly counts do not add up to the year's clients, a client counts in
--   every month of care).
-- new_clients (instroom): of those, not active in the previous month (first month of a new episode);
--   NULL in the first month of the data period. ended_clients (uitstroom): active in the month and not
--   in the next month (the month the episode ends); NULL in the last month of the data period.
-- indicated_hours: Σ over the wijk's indicaties of hours per week × days active in the month / 7
--   (sums over the months of a year to marts.wijk_year.indicated_hours).
-- declared_hours, cost_eur: declaration lines whose period starts in the month (hours; hours ×
--   contracted tariff), in the wijk of the indication they were declared on (sum to marts.wijk_year).
-- Region and gemeente totals: sum the rows by gemeente_code (counts of different wijken never overlap).
-- nl: Eén rij per wijk per kalendermaand van de dataperiode. Cliënten: personen met minstens één indicatie
-- nl: voor hulp bij het huishouden die in de maand minstens één dag liep, geteld in de wijk van hun laatst
-- nl: gestarte lopende indicatie; een cliënt telt in elke maand met hulp, dus de maanden tellen niet op tot
-- nl: de cliënten van het jaar. Instroom: cliënten die de maand ervoor geen lopende indicatie hadden (leeg in
-- nl: de eerste maand van de dataperiode); uitstroom: cliënten die de maand erna geen lopende indicatie meer
-- nl: hebben (leeg in de laatste maand). Geïndiceerde uren: uren per week × dagen dat de indicatie in de
-- nl: maand liep / 7, voor zorg in natura én pgb; gedeclareerde uren en kosten (uren × gecontracteerd
-- nl: tarief): declaratieregels waarvan de periode in de maand begint, in de wijk van de indicatie (alleen
-- nl: zorg in natura: pgb wordt niet bij de gemeente gedeclareerd). Voor gemeente- en regiototalen tel je de
-- nl: wijken op; uren en kosten van de maanden tellen op tot die van het jaar.
-- disclosure: audience analyst
-- disclosure: persons clients, new_clients, ended_clients
-- disclosure: hidden indicated_hours, declared_hours, cost_eur with clients
-- disclosure: flow clients in new_clients out ended_clients by month
WITH months AS (
  SELECT make_date(year(m)::INTEGER, month(m)::INTEGER, 1) AS month_start
  FROM staging.data_period,
       range(date_trunc('month', data_from), date_trunc('month', data_to) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
), ind_month AS (
  SELECT i.client_id, i.gemeente_code, i.wijk_code, i.start_date, i.hours_per_week, m.month_start,
         date_diff('day', greatest(i.start_date, m.month_start),
                   least(coalesce(i.end_date, DATE '9999-12-31'), last_day(m.month_start))) + 1 AS days_active
  FROM staging.indicaties i
  JOIN months m ON i.start_date <= last_day(m.month_start)
               AND coalesce(i.end_date, DATE '9999-12-31') >= m.month_start
), client_month AS (
  SELECT client_id, month_start, arg_max(wijk_code, (start_date, wijk_code)) AS wijk_code
  FROM ind_month GROUP BY ALL
), flows AS (  -- new: the client's previous active month is not the month before; ended: likewise the next
  SELECT client_id, month_start, wijk_code,
         lag(month_start) OVER w IS DISTINCT FROM month_start - INTERVAL 1 MONTH AS is_new,
         lead(month_start) OVER w IS DISTINCT FROM month_start + INTERVAL 1 MONTH AS is_ended
  FROM client_month
  WINDOW w AS (PARTITION BY client_id ORDER BY month_start)
), cl AS (
  SELECT wijk_code, month_start, count(*) AS clients,
         count(*) FILTER (WHERE is_new) AS new_clients, count(*) FILTER (WHERE is_ended) AS ended_clients
  FROM flows GROUP BY ALL
), indicated AS (
  SELECT wijk_code, month_start, sum(hours_per_week * days_active / 7.0) AS indicated_hours
  FROM ind_month GROUP BY ALL
), declared AS (
  SELECT i.wijk_code, make_date(d.year::INTEGER, d.month::INTEGER, 1) AS month_start,
         sum(d.hours) AS declared_hours, sum(d.cost_eur) AS cost_eur
  FROM staging.declaraties d
  JOIN staging.indicaties i USING (gemeente_code, toewijzing_nummer)
  GROUP BY ALL
)
SELECT w.gemeente_code, w.gemeente_name, w.wijk_code, w.wijk_name,
       year(m.month_start)::INTEGER AS year, month(m.month_start)::INTEGER AS month, m.month_start,
       coalesce(cl.clients, 0)::BIGINT AS clients,
       CASE WHEN m.month_start > (SELECT min(month_start) FROM months) THEN coalesce(cl.new_clients, 0) END::BIGINT AS new_clients,
       CASE WHEN m.month_start < (SELECT max(month_start) FROM months) THEN coalesce(cl.ended_clients, 0) END::BIGINT AS ended_clients,
       coalesce(ind.indicated_hours, 0)::DOUBLE AS indicated_hours,
       coalesce(dec.declared_hours, 0)::DOUBLE AS declared_hours,
       coalesce(dec.cost_eur, 0)::DOUBLE AS cost_eur
FROM staging.wijken w
CROSS JOIN months m
LEFT JOIN cl ON cl.wijk_code = w.wijk_code AND cl.month_start = m.month_start
LEFT JOIN indicated ind ON ind.wijk_code = w.wijk_code AND ind.month_start = m.month_start
LEFT JOIN declared dec ON dec.wijk_code = w.wijk_code AND dec.month_start = m.month_start
ORDER BY w.gemeente_code, w.wijk_code, m.month_start
