-- marts.age_rates: age-specific usage rates, one row per wijk × age band (0-64, 65-74, 75-84, 85+) ×
-- year of the data period.
-- clients: clients (staging.client_years: at least one active indication in the year) living in the
--   wijk, by their age on 1 January; inhabitants: population of that wijk and band on 1 January
--   (staging.bevolking, waarneming); clients_per_1000 = clients / inhabitants × 1000 (the age-specific
--   usage rate). share_of_clients = the band's clients / all clients of the wijk that year.
-- Gemeente or region rates: sum clients and inhabitants first, then divide (never average the rates).
-- nl: Eén rij per wijk per leeftijdsgroep (0-64, 65-74, 75-84, 85+) per jaar. Cliënten: de personen met in
-- nl: het jaar minstens één lopende indicatie voor hulp bij het huishouden, naar hun leeftijd op 1 januari en
-- nl: geteld in één wijk (die van hun laatst gestarte indicatie); inwoners: de bevolking van die wijk en
-- nl: leeftijdsgroep op 1 januari. Cliënten per 1.000 inwoners = cliënten / inwoners × 1.000: het gebruik per
-- nl: leeftijdsgroep. Aandeel cliënten: de cliënten van de leeftijdsgroep als deel van alle cliënten van de
-- nl: wijk dat jaar. Voor een gemeente of de regio tel je eerst cliënten en inwoners op en deel je daarna;
-- nl: neem nooit het gemiddelde van de cijfers per 1.000 inwoners.
-- disclosure: audience council
-- disclosure: persons clients
-- disclosure: derived clients_per_1000 = 1000.0 * clients / nullif(inhabitants, 0)
-- disclosure: derived share_of_clients = clients / nullif(sum(clients) OVER (PARTITION BY wijk_code, year), 0)
-- disclosure: margin clients over age_band into marts.wijk_year
-- disclosure: margin clients over wijk_code into marts.age_year
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), bands AS (
  SELECT unnest(['0-64', '65-74', '75-84', '85+']) AS age_band
), c AS (
  SELECT wijk_code, year, age_band, count(*) AS clients FROM staging.client_years GROUP BY ALL
), p AS (
  SELECT wijk_code, year, age_band, sum(inhabitants) AS inhabitants
  FROM staging.bevolking WHERE bron = 'waarneming' GROUP BY ALL
)
SELECT w.gemeente_code, w.gemeente_name, w.wijk_code, w.wijk_name, y.year::INTEGER AS year, b.age_band,
       coalesce(c.clients, 0)::BIGINT AS clients, p.inhabitants::BIGINT AS inhabitants,
       1000.0 * coalesce(c.clients, 0) / nullif(p.inhabitants, 0) AS clients_per_1000,
       coalesce(c.clients, 0) / nullif(sum(coalesce(c.clients, 0)) OVER (PARTITION BY w.wijk_code, y.year), 0) AS share_of_clients
FROM staging.wijken w CROSS JOIN years y CROSS JOIN bands b
LEFT JOIN c ON c.wijk_code = w.wijk_code AND c.year = y.year AND c.age_band = b.age_band
LEFT JOIN p ON p.wijk_code = w.wijk_code AND p.year = y.year AND p.age_band = b.age_band
ORDER BY w.gemeente_code, w.wijk_code, y.year, b.age_band
