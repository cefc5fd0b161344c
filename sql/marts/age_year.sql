-- marts.age_year: one row per gemeente × year × age band (0-64, 65-74, 75-84, 85+).
-- clients: clients (see staging.client_years) by their age on 1 January of the year;
-- inhabitants: population of that band on 1 January; clients_per_1000 = age-specific usage rate;
-- share_of_clients = clients of the band / all clients of the gemeente that year.
-- nl: Eén rij per gemeente per jaar per leeftijdsgroep (0-64, 65-74, 75-84, 85+). Cliënten: de personen met
-- nl: in het jaar minstens één lopende indicatie voor hulp bij het huishouden, naar hun leeftijd op 1
-- nl: januari; inwoners: de bevolking in die leeftijdsgroep op 1 januari. Cliënten per 1.000 inwoners =
-- nl: cliënten / inwoners × 1.000: het gebruik per leeftijdsgroep. Aandeel cliënten: de cliënten van de
-- nl: leeftijdsgroep als deel van alle cliënten van de gemeente dat jaar.
-- disclosure: audience council
-- disclosure: persons clients
-- disclosure: derived clients_per_1000 = 1000.0 * clients / nullif(inhabitants, 0)
-- disclosure: derived share_of_clients = clients / nullif(sum(clients) OVER (PARTITION BY gemeente_code, year), 0)
-- disclosure: margin clients over age_band into marts.gemeente_year
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), bands AS (
  SELECT unnest(['0-64', '65-74', '75-84', '85+']) AS age_band
), gem AS (
  SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken
), c AS (
  SELECT gemeente_code, year, age_band, count(*) AS clients FROM staging.client_years GROUP BY ALL
), p AS (
  SELECT w.gemeente_code, b.year, b.age_band, sum(b.inhabitants) AS inhabitants
  FROM staging.bevolking b JOIN staging.wijken w USING (wijk_code)
  WHERE b.bron = 'waarneming' GROUP BY ALL
)
SELECT g.gemeente_code, g.gemeente_name, y.year::INTEGER AS year, b.age_band,
       coalesce(c.clients, 0)::BIGINT AS clients, p.inhabitants::BIGINT AS inhabitants,
       1000.0 * coalesce(c.clients, 0) / nullif(p.inhabitants, 0) AS clients_per_1000,
       coalesce(c.clients, 0) / nullif(sum(coalesce(c.clients, 0)) OVER (PARTITION BY g.gemeente_code, y.year), 0) AS share_of_clients
FROM gem g CROSS JOIN years y CROSS JOIN bands b
LEFT JOIN c ON c.gemeente_code = g.gemeente_code AND c.year = y.year AND c.age_band = b.age_band
LEFT JOIN p ON p.gemeente_code = g.gemeente_code AND p.year = y.year AND p.age_band = b.age_band
ORDER BY g.gemeente_code, y.year, b.age_band
