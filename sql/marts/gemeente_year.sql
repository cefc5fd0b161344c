-- marts.gemeente_year: one row per gemeente per year; the sums of marts.wijk_year over the
-- gemeente's wijken (every client-year has exactly one wijk, so no client is counted twice), with
-- the rates recomputed from the sums. Definitions as in marts.wijk_year.
-- nl: Eén rij per gemeente per jaar: de optelling van de cijfers van de wijken van de gemeente. Elke cliënt
-- nl: telt per jaar in precies één wijk, dus niemand wordt dubbel geteld; de verhoudingscijfers (cliënten per
-- nl: 1.000 inwoners, groei) worden opnieuw berekend uit de opgetelde aantallen. De definities zijn die van
-- nl: het overzicht per wijk per jaar: cliënten hebben in het jaar minstens één lopende indicatie voor hulp
-- nl: bij het huishouden; geïndiceerde uren omvatten zorg in natura én pgb, gedeclareerde uren en kosten
-- nl: alleen zorg in natura (pgb wordt niet bij de gemeente gedeclareerd).
-- disclosure: audience council
-- disclosure: persons clients, new_clients, clients_baseline, clients_75plus
-- disclosure: derived clients_per_1000 = 1000.0 * clients / nullif(inhabitants, 0)
-- disclosure: derived clients_per_1000_75plus = 1000.0 * clients_75plus / nullif(inhabitants_75plus, 0)
-- disclosure: derived growth_vs_baseline = clients / nullif(clients_baseline, 0) - 1
-- disclosure: derived growth_vs_previous = clients / nullif(lag(clients) OVER (PARTITION BY gemeente_code ORDER BY year), 0) - 1
-- disclosure: hidden indicated_hours, declared_hours, cost_eur with clients
WITH g AS (
  SELECT gemeente_code, gemeente_name, year,
         sum(clients) AS clients, sum(new_clients) AS new_clients,
         sum(inhabitants) AS inhabitants, sum(inhabitants_75plus) AS inhabitants_75plus,
         sum(clients_75plus) AS clients_75plus,
         sum(indicated_hours) AS indicated_hours, sum(declared_hours) AS declared_hours, sum(cost_eur) AS cost_eur,
         any_value(baseline_year) AS baseline_year
  FROM marts.wijk_year GROUP BY ALL
)
SELECT gemeente_code, gemeente_name, year::INTEGER AS year, clients::BIGINT AS clients, new_clients::BIGINT AS new_clients,
       inhabitants::BIGINT AS inhabitants, inhabitants_75plus::BIGINT AS inhabitants_75plus,
       clients_75plus::BIGINT AS clients_75plus,
       1000.0 * clients / nullif(inhabitants, 0) AS clients_per_1000,
       1000.0 * clients_75plus / nullif(inhabitants_75plus, 0) AS clients_per_1000_75plus,
       indicated_hours, declared_hours, cost_eur, baseline_year,
       (max(clients) FILTER (WHERE year = baseline_year) OVER (PARTITION BY gemeente_code))::BIGINT AS clients_baseline,
       clients / nullif(clients_baseline, 0) - 1 AS growth_vs_baseline,
       clients / nullif(lag(clients) OVER (PARTITION BY gemeente_code ORDER BY year), 0) - 1 AS growth_vs_previous
FROM g
ORDER BY gemeente_code, year
