-- marts.aanbieder_wijk_year: wijkgericht werken, one row per wijk × aanbieder × year with zorg-in-natura
-- care (an active ZIN indication of that aanbieder in the wijk, or declared hours).
-- clients: persons with at least one active ZIN indication of the aanbieder in the year whose indication is in
--   the wijk (a client with two aanbieders counts at both, so clients do not add up to marts.wijk_year).
-- declared_hours, cost_eur: the aanbieder's declaration lines in the year (hours; hours × contracted tariff)
--   on indications in the wijk (they add up over aanbieders to marts.wijk_year).
-- market_share = declared_hours / all declared hours in the wijk that year (adds up to 1 over the
--   aanbieders); clients_share = clients / Σ clients over the wijk's aanbieders (in the council snapshot empty
--   for the whole wijk when one aanbieder's count there is hidden: a share of the shown counts only would be too high).
-- aanbieders_in_wijk: number of aanbieders with clients or declared hours in the wijk that year;
--   hhi = Σ market_share² over the wijk's aanbieders (1 = one aanbieder does everything).
-- aanbieder_name: staging.aanbieders (latest delivery), else the AGB code.
-- nl: Eén rij per wijk per aanbieder per jaar, voor zorg in natura (ZIN): een aanbieder staat in een wijk als
-- nl: hij daar in dat jaar een lopende ZIN-indicatie had of uren declareerde. Cliënten: het aantal personen
-- nl: met minstens één lopende ZIN-indicatie bij deze aanbieder in deze wijk in het jaar; een cliënt met twee
-- nl: aanbieders telt bij beide mee, dus opgeteld zijn het meer cliënten dan in het overzicht per wijk.
-- nl: Gedeclareerde uren en kosten (uren × gecontracteerd tarief): de declaraties van de aanbieder in het
-- nl: jaar op indicaties in de wijk; opgeteld over de aanbieders geven ze de uren en kosten van de wijk.
-- nl: Marktaandeel: het deel van alle gedeclareerde uren in de wijk dat van deze aanbieder komt (aandeel
-- nl: cliënten: idem voor cliënten); de concentratie-index (HHI) is de som van de gekwadrateerde
-- nl: marktaandelen in de wijk (1 = één aanbieder doet alles).
-- disclosure: audience council
-- disclosure: persons clients
-- disclosure: hidden declared_hours, cost_eur, market_share with clients
-- disclosure: derived hhi = CASE WHEN count(*) FILTER (WHERE clients IS NULL) OVER (PARTITION BY wijk_code, year) = 0 THEN sum(market_share * market_share) OVER (PARTITION BY wijk_code, year) END
-- disclosure: derived clients_share = CASE WHEN count(*) FILTER (WHERE clients IS NULL) OVER (PARTITION BY wijk_code, year) = 0 THEN clients / nullif(sum(clients) OVER (PARTITION BY wijk_code, year), 0) END
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), cl AS (
  SELECT i.wijk_code, i.aanbieder_agb, y.year, count(DISTINCT i.client_id) AS clients
  FROM staging.indicaties i
  JOIN years y ON i.start_date <= make_date(y.year, 12, 31)
              AND coalesce(i.end_date, DATE '9999-12-31') >= make_date(y.year, 1, 1)
  WHERE i.leveringsvorm = 'ZIN' AND i.aanbieder_agb IS NOT NULL
  GROUP BY ALL
), dec AS (
  SELECT i.wijk_code, d.aanbieder_agb, d.year, sum(d.hours) AS declared_hours, sum(d.cost_eur) AS cost_eur
  FROM staging.declaraties d JOIN staging.indicaties i USING (gemeente_code, toewijzing_nummer)
  GROUP BY ALL
), j AS (
  SELECT wijk_code, aanbieder_agb, year, coalesce(cl.clients, 0) AS clients,
         coalesce(dec.declared_hours, 0) AS declared_hours, coalesce(dec.cost_eur, 0) AS cost_eur
  FROM cl FULL JOIN dec USING (wijk_code, aanbieder_agb, year)
), s AS (
  SELECT *, declared_hours / nullif(sum(declared_hours) OVER wy, 0) AS market_share,
         clients / nullif(sum(clients) OVER wy, 0) AS clients_share,
         count(*) OVER wy AS aanbieders_in_wijk
  FROM j WINDOW wy AS (PARTITION BY wijk_code, year)
)
SELECT w.gemeente_code, w.gemeente_name, s.wijk_code, w.wijk_name, s.aanbieder_agb,
       coalesce(n.aanbieder_name, s.aanbieder_agb) AS aanbieder_name, s.year::INTEGER AS year,
       s.clients::BIGINT AS clients, s.declared_hours::DOUBLE AS declared_hours, s.cost_eur::DOUBLE AS cost_eur,
       s.market_share::DOUBLE AS market_share, s.clients_share::DOUBLE AS clients_share,
       s.aanbieders_in_wijk::BIGINT AS aanbieders_in_wijk,
       (sum(s.market_share * s.market_share) OVER (PARTITION BY s.wijk_code, s.year))::DOUBLE AS hhi
FROM s
JOIN staging.wijken w USING (wijk_code)
LEFT JOIN staging.aanbieders n USING (aanbieder_agb)
ORDER BY w.gemeente_code, s.wijk_code, s.year, s.declared_hours DESC
