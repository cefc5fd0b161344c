-- marts.wijk_concentration: wijkgericht werken, one row per wijk × year with zorg-in-natura care: how
-- concentrated the wijk's care is, and how many clients got a new face (another aanbieder).
-- zin_clients: persons with at least one active ZIN indication in the wijk in the year (any aanbieder): the count of
--   marts.delivery_year for the wijk, all aanbieders, and year (one count, one number; 0 where delivery_year has no
--   row). In the council snapshot it is that table's published count, so it is hidden where delivery_year hides it.
-- aanbieders_in_wijk, hhi: from marts.aanbieder_wijk_year (hhi = Σ over the wijk's aanbieders of
--   market_share², market share by declared hours; 1 = one aanbieder does everything);
-- hhi_clients = Σ clients_share² (the same index by clients; a client with two aanbieders counts at both; empty
--   when a share of the wijk is unknown, e.g. hidden in the council snapshot).
-- main_aanbieder_name, main_market_share: the aanbieder with the largest market share in the wijk and year (a tie goes to the higher AGB code).
-- switched_clients: persons with a ZIN indication starting in the year in the wijk at another aanbieder
--   than their previous ZIN indication (ordered by ingangsdatum, then toewijzing number), whenever that
--   previous one ran; share_switched = switched_clients / zin_clients.
-- nl: Eén rij per wijk per jaar, voor zorg in natura (ZIN). Cliënten ZIN: personen met minstens één lopende
-- nl: ZIN-indicatie in de wijk in het jaar (hetzelfde aantal als op de pagina Levering). Concentratie-index
-- nl: (HHI): de som van de gekwadrateerde
-- nl: marktaandelen (gedeclareerde uren) van de aanbieders in de wijk; 1 betekent dat één aanbieder alles
-- nl: doet, 1/n dat n aanbieders elk een even groot deel doen. HHI naar cliënten: hetzelfde met het aandeel
-- nl: cliënten. Grootste aanbieder: de aanbieder met het grootste marktaandeel in de wijk. Van aanbieder
-- nl: gewisseld: personen bij wie in dat jaar een ZIN-indicatie in de wijk ingaat bij een andere aanbieder
-- nl: dan hun vorige ZIN-indicatie (een nieuw gezicht aan de deur); aandeel = gewisseld / cliënten ZIN.
-- disclosure: audience council
-- disclosure: recompute from the published marts.aanbieder_wijk_year, marts.delivery_year (hhi, market shares, zin_clients; switched_clients from staging)
-- disclosure: persons zin_clients, switched_clients
-- disclosure: same zin_clients = marts.delivery_year.clients where aanbieder_agb = 'alle'
-- disclosure: derived share_switched = switched_clients / nullif(zin_clients, 0)
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), zin AS (
  SELECT wijk_code, year, clients AS zin_clients
  FROM marts.delivery_year
  WHERE aanbieder_agb = 'alle' AND wijk_code <> 'alle'
), ordered AS (
  SELECT client_id, wijk_code, aanbieder_agb, year(start_date) AS year,
         lag(aanbieder_agb) OVER (PARTITION BY client_id ORDER BY start_date, toewijzing_nummer) AS previous_agb
  FROM staging.indicaties
  WHERE leveringsvorm = 'ZIN' AND aanbieder_agb IS NOT NULL
), switched AS (
  SELECT wijk_code, year, count(DISTINCT client_id) AS switched_clients
  FROM ordered
  WHERE previous_agb IS NOT NULL AND previous_agb <> aanbieder_agb AND year IN (SELECT year FROM years)
  GROUP BY ALL
), conc AS (
  SELECT wijk_code, year, any_value(gemeente_code) AS gemeente_code, any_value(gemeente_name) AS gemeente_name,
         any_value(wijk_name) AS wijk_name, any_value(aanbieders_in_wijk) AS aanbieders_in_wijk,
         any_value(hhi) AS hhi,
         CASE WHEN count(clients_share) = count(*) THEN sum(clients_share * clients_share) END AS hhi_clients,
         arg_max(aanbieder_name, (market_share, aanbieder_agb)) AS main_aanbieder_name, max(market_share) AS main_market_share
  FROM marts.aanbieder_wijk_year
  GROUP BY wijk_code, year
)
SELECT c.gemeente_code, c.gemeente_name, c.wijk_code, c.wijk_name, c.year::INTEGER AS year,
       CASE WHEN z.wijk_code IS NULL THEN 0 ELSE z.zin_clients END::BIGINT AS zin_clients, c.aanbieders_in_wijk::BIGINT AS aanbieders_in_wijk,
       c.hhi::DOUBLE AS hhi, c.hhi_clients::DOUBLE AS hhi_clients,
       c.main_aanbieder_name, c.main_market_share::DOUBLE AS main_market_share,
       coalesce(s.switched_clients, 0)::BIGINT AS switched_clients,
       (coalesce(s.switched_clients, 0) / nullif(z.zin_clients, 0))::DOUBLE AS share_switched
FROM conc c
LEFT JOIN zin z USING (wijk_code, year)
LEFT JOIN switched s USING (wijk_code, year)
ORDER BY c.gemeente_code, c.wijk_code, c.year
