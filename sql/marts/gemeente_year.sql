-- marts.gemeente_year: one row per gemeente per year; the sums of marts.wijk_year over the
-- gemeente's wijken (every client-year has exactly one wijk, so no client is counted twice), with
-- the rates recomputed from the sums. Definitions as in marts.wijk_year.
-- declared_hours and cost_eur count EVERY declaration line of the gemeente in the year (staging.declaraties):
--   the wijken's sums plus "wijk onbekend", the lines whose wijk cannot be known (no toewijzing was loaded for the
--   ToewijzingNummer, e.g. because it is in quarantine, or the toewijzing's client has no known wijk);
--   declared_hours_wijk_onbekend and cost_eur_wijk_onbekend show that part. cost_eur is the same number as
--   in marts.budget_risk and marts.cost_bridge (DECIMAL(18,6), the exact sum of the lines).
-- clients_without_hours: clients with at least one toewijzing active in the year that has no hours per week
--   (omvang in euro's or stuks, budget only, on category level; staging.indicaties.no_hours_reason).
-- nl: Eén rij per gemeente per jaar: de optelling van de cijfers van de wijken van de gemeente. Elke cliënt
-- nl: telt per jaar in precies één wijk, dus niemand wordt dubbel geteld; de verhoudingscijfers (cliënten per
-- nl: 1.000 inwoners, groei) worden opnieuw berekend uit de opgetelde aantallen. De definities zijn die van
-- nl: het overzicht per wijk per jaar: cliënten hebben in het jaar minstens één lopende indicatie voor hulp
-- nl: bij het huishouden; geïndiceerde uren omvatten zorg in natura én pgb, gedeclareerde uren en kosten
-- nl: alleen zorg in natura (pgb wordt niet bij de gemeente gedeclareerd). Gedeclareerde uren en kosten tellen
-- nl: álle declaratieregels van de gemeente mee, ook die waarvan de wijk niet bekend is ("wijk onbekend",
-- nl: bijvoorbeeld omdat de toewijzing in quarantaine staat); dat deel staat apart vermeld. Cliënten zonder
-- nl: uren: cliënten met een toewijzing zonder uren per week (in euro's of stuks, alleen een budget, of op
-- nl: categorieniveau); zij tellen mee als cliënt maar niet in de uren.
-- disclosure: audience council
-- disclosure: persons clients, new_clients, clients_baseline, clients_75plus, clients_without_hours
-- disclosure: derived clients_per_1000 = 1000.0 * clients / nullif(inhabitants, 0)
-- disclosure: derived clients_per_1000_75plus = 1000.0 * clients_75plus / nullif(inhabitants_75plus, 0)
-- disclosure: derived growth_vs_baseline = clients / nullif(clients_baseline, 0) - 1
-- disclosure: derived growth_vs_previous = clients / nullif(lag(clients) OVER (PARTITION BY gemeente_code ORDER BY year), 0) - 1
-- disclosure: hidden indicated_hours, declared_hours, cost_eur, declared_hours_wijk_onbekend, cost_eur_wijk_onbekend with clients
WITH g AS (
  SELECT gemeente_code, gemeente_name, year,
         sum(clients) AS clients, sum(new_clients) AS new_clients,
         sum(inhabitants) AS inhabitants,
         -- empty when a wijk's inhabitants come from CBS KWB, which has no 75+ band (else too few 75+)
         CASE WHEN bool_and(inhabitants_75plus IS NOT NULL OR inhabitants IS NULL) THEN sum(inhabitants_75plus) END
           AS inhabitants_75plus,
         sum(clients_75plus) AS clients_75plus,
         sum(indicated_hours) AS indicated_hours, sum(declared_hours) AS declared_hours, sum(cost_eur) AS cost_eur,
         any_value(baseline_year) AS baseline_year
  FROM marts.wijk_year GROUP BY ALL
), dec AS (  -- every declaration line of the gemeente in the year
  SELECT gemeente_code, year, sum(hours) AS declared_hours, sum(cost_eur) AS cost_eur
  FROM staging.declaraties GROUP BY ALL
), unknown AS (
  SELECT d.gemeente_code, d.year, sum(d.hours) AS declared_hours, sum(d.cost_eur) AS cost_eur
  FROM staging.declaraties d
  LEFT JOIN staging.indicaties i USING (gemeente_code, toewijzing_nummer)
  WHERE i.wijk_code IS NULL OR i.wijk_code NOT IN (SELECT wijk_code FROM staging.wijken WHERE wijk_code IS NOT NULL)
  GROUP BY ALL
), no_hours AS (
  SELECT i.gemeente_code, y.year, count(DISTINCT i.client_id) AS clients_without_hours
  FROM staging.indicaties i
  JOIN (SELECT DISTINCT year FROM marts.wijk_year) y
    ON i.start_date <= make_date(y.year, 12, 31) AND coalesce(i.end_date, DATE '9999-12-31') >= make_date(y.year, 1, 1)
  WHERE i.no_hours_reason IS NOT NULL
  GROUP BY ALL
)
SELECT g.gemeente_code, g.gemeente_name, g.year::INTEGER AS year, g.clients::BIGINT AS clients,
       g.new_clients::BIGINT AS new_clients,
       g.inhabitants::BIGINT AS inhabitants, g.inhabitants_75plus::BIGINT AS inhabitants_75plus,
       g.clients_75plus::BIGINT AS clients_75plus,
       1000.0 * g.clients / nullif(g.inhabitants, 0) AS clients_per_1000,
       1000.0 * g.clients_75plus / nullif(g.inhabitants_75plus, 0) AS clients_per_1000_75plus,
       g.indicated_hours, coalesce(d.declared_hours, 0)::DOUBLE AS declared_hours,
       coalesce(d.cost_eur, 0)::DECIMAL(18, 6) AS cost_eur,
       coalesce(u.declared_hours, 0)::DOUBLE AS declared_hours_wijk_onbekend,
       coalesce(u.cost_eur, 0)::DECIMAL(18, 6) AS cost_eur_wijk_onbekend,
       coalesce(n.clients_without_hours, 0)::BIGINT AS clients_without_hours,
       g.baseline_year,
       (max(g.clients) FILTER (WHERE g.year = g.baseline_year) OVER (PARTITION BY g.gemeente_code))::BIGINT AS clients_baseline,
       g.clients / nullif(clients_baseline, 0) - 1 AS growth_vs_baseline,
       g.clients / nullif(lag(g.clients) OVER (PARTITION BY g.gemeente_code ORDER BY g.year), 0) - 1 AS growth_vs_previous
FROM g
LEFT JOIN dec d USING (gemeente_code, year)
LEFT JOIN unknown u USING (gemeente_code, year)
LEFT JOIN no_hours n USING (gemeente_code, year)
ORDER BY g.gemeente_code, g.year
