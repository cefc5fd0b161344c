-- marts.herindicatie_comparison: after the herindicatie round, what was observed beside what was simulated, for the
-- same clients; one row per gemeente × wijk × age band. Empty until the data period reaches the round's first year
-- (staging.productmapping.start_year).
-- The clients of the round: as in marts.herindicatie_simulation, every client with a mapped indicatie active on the
--   day before the round's first year (the reference day); wijk and age band as there (staging.client_years of
--   that year). minutes before = Σ of those indicaties' hours_per_week × 60 (per week; every-other-week help halved).
-- Observed after: Σ hours_per_week × 60 of all the client's indicaties (any product, the new ones included) active
--   on the last day of the data period (staging.data_period). A client without any indicatie that day has left
--   care: counted in clients_ended and left out of every other figure (their minutes did not go to a new product).
-- Simulated after: the mapped minutes (staging.productmapping.minutes_per_week) of the same indicaties.
-- clients: the round's clients still in care; clients_down / _same / _up_observed: by observed after − before,
--   clients_down / _same / _up_simulated: by simulated after − before (per client, as in the simulation).
-- minutes_per_week_before, minutes_per_week_after_observed, minutes_per_week_after_simulated: Σ over the clients;
--   mean_…: per client (Σ / clients).
-- nl: Na de herindicatieronde: wat er werkelijk gebeurde naast wat de simulatie vooraf gaf, voor dezelfde cliënten,
-- nl: per gemeente, wijk en leeftijdsgroep. Cliënten van de ronde: wie op de dag vóór het eerste jaar van de ronde
-- nl: een indicatie had voor een product uit de productmapping. Minuten per week vóór: die indicaties. Werkelijk na:
-- nl: alle indicaties van de cliënt op de laatste dag van de gegevens (ook de nieuwe producten). Gesimuleerd na: de
-- nl: minuten van het nieuwe product volgens de productmapping. Per cliënt omlaag, gelijk of omhoog, werkelijk en
-- nl: gesimuleerd. Cliënten die op de laatste dag geen indicatie meer hebben, zijn uit zorg (apart geteld) en tellen
-- nl: verder niet mee. Leeg zolang de gegevens het eerste jaar van de ronde nog niet bereiken.
-- disclosure: audience council
-- disclosure: persons clients, clients_ended, clients_down_observed, clients_same_observed, clients_up_observed
-- disclosure: persons clients_down_simulated, clients_same_simulated, clients_up_simulated
-- disclosure: parts clients = clients_down_observed + clients_same_observed + clients_up_observed
-- disclosure: parts clients = clients_down_simulated + clients_same_simulated + clients_up_simulated
-- disclosure: hidden minutes_per_week_before, minutes_per_week_after_observed, minutes_per_week_after_simulated with clients
-- disclosure: derived mean_minutes_per_week_before = minutes_per_week_before / nullif(clients, 0)
-- disclosure: derived mean_minutes_per_week_after_observed = minutes_per_week_after_observed / nullif(clients, 0)
-- disclosure: derived mean_minutes_per_week_after_simulated = minutes_per_week_after_simulated / nullif(clients, 0)
WITH round AS (
  SELECT gemeente_code, min(start_year) AS start_year, (make_date(min(start_year), 1, 1) - INTERVAL 1 DAY)::DATE AS ref
  FROM staging.productmapping GROUP BY gemeente_code
), period AS (
  SELECT data_to FROM staging.data_period
), before AS (  -- the round's clients and their mapped indicaties on the reference day
  SELECT i.client_id, i.gemeente_code, r.start_year, r.ref,
         sum(i.hours_per_week * 60) AS before, sum(m.minutes_per_week) AS after_simulated
  FROM staging.indicaties i
  JOIN round r ON r.gemeente_code = i.gemeente_code
  JOIN staging.productmapping m ON m.gemeente_code = i.gemeente_code AND m.old_product_code = i.product_code
  CROSS JOIN period p
  WHERE p.data_to >= make_date(r.start_year, 1, 1)
    AND i.start_date <= r.ref AND coalesce(i.end_date, DATE '9999-12-31') >= r.ref
  GROUP BY ALL
), after AS (  -- every indicatie of those clients on the last day of the data period
  SELECT i.client_id, i.gemeente_code, sum(i.hours_per_week * 60) AS after_observed, count(*) AS indicaties
  FROM staging.indicaties i CROSS JOIN period p
  WHERE i.start_date <= p.data_to AND coalesce(i.end_date, DATE '9999-12-31') >= p.data_to
    AND i.client_id IN (SELECT client_id FROM before)
  GROUP BY ALL
), per_client AS (
  SELECT b.*, a.after_observed, a.client_id IS NULL AS ended,
         CASE WHEN round(a.after_observed - b.before, 6) < 0 THEN 'down'
              WHEN round(a.after_observed - b.before, 6) > 0 THEN 'up' ELSE 'same' END AS observed,
         CASE WHEN round(b.after_simulated - b.before, 6) < 0 THEN 'down'
              WHEN round(b.after_simulated - b.before, 6) > 0 THEN 'up' ELSE 'same' END AS simulated,
         cy.wijk_code, cy.age_band
  FROM before b
  LEFT JOIN after a USING (client_id, gemeente_code)
  JOIN staging.client_years cy ON cy.client_id = b.client_id AND cy.year = year(b.ref)
)
SELECT p.gemeente_code, w.gemeente_name, p.wijk_code, w.wijk_name, p.age_band, p.start_year::INTEGER AS year,
       count(*) FILTER (WHERE NOT ended)::BIGINT AS clients,
       count(*) FILTER (WHERE ended)::BIGINT AS clients_ended,
       count(*) FILTER (WHERE NOT ended AND observed = 'down')::BIGINT AS clients_down_observed,
       count(*) FILTER (WHERE NOT ended AND observed = 'same')::BIGINT AS clients_same_observed,
       count(*) FILTER (WHERE NOT ended AND observed = 'up')::BIGINT AS clients_up_observed,
       count(*) FILTER (WHERE NOT ended AND simulated = 'down')::BIGINT AS clients_down_simulated,
       count(*) FILTER (WHERE NOT ended AND simulated = 'same')::BIGINT AS clients_same_simulated,
       count(*) FILTER (WHERE NOT ended AND simulated = 'up')::BIGINT AS clients_up_simulated,
       coalesce(sum(before) FILTER (WHERE NOT ended), 0)::DOUBLE AS minutes_per_week_before,
       coalesce(sum(after_observed) FILTER (WHERE NOT ended), 0)::DOUBLE AS minutes_per_week_after_observed,
       coalesce(sum(after_simulated) FILTER (WHERE NOT ended), 0)::DOUBLE AS minutes_per_week_after_simulated,
       (sum(before) FILTER (WHERE NOT ended) / nullif(count(*) FILTER (WHERE NOT ended), 0))::DOUBLE
         AS mean_minutes_per_week_before,
       (sum(after_observed) FILTER (WHERE NOT ended) / nullif(count(*) FILTER (WHERE NOT ended), 0))::DOUBLE
         AS mean_minutes_per_week_after_observed,
       (sum(after_simulated) FILTER (WHERE NOT ended) / nullif(count(*) FILTER (WHERE NOT ended), 0))::DOUBLE
         AS mean_minutes_per_week_after_simulated
FROM per_client p
LEFT JOIN staging.wijken w USING (wijk_code)
GROUP BY ALL
ORDER BY p.gemeente_code, p.wijk_code, p.age_band
