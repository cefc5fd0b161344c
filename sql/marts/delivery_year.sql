-- marts.delivery_year: how much of the indicated zorg-in-natura help was delivered, per year: one row per
-- gemeente × wijk × aanbieder × year, and the totals as rows of their own: wijk_code 'alle' (all wijken of
-- the gemeente), aanbieder_agb 'alle' (all aanbieders), both 'alle' (the gemeente). What the Levering page
-- shows, in cells that carry their client count, so small cells are suppressed when published
-- (marts.unmet_demand has the months).
-- clients: distinct persons with a ZIN indicatie of that wijk and aanbieder active on at least one day of
--   the year within the data period (staging.indicaties).
-- indicated_hours, delivered_hours, gap_hours, gap_cost_eur: Σ over the months of marts.unmet_demand;
--   share_delivered = delivered_hours / indicated_hours.
-- nl: Hoeveel van de geïndiceerde hulp in zorg in natura (ZIN) is geleverd, per jaar: één rij per gemeente,
-- nl: wijk, aanbieder en jaar, plus totaalrijen voor alle wijken, voor alle aanbieders en voor de hele
-- nl: gemeente (met 'alle' in plaats van wijk en/of aanbieder). Cliënten: het aantal verschillende personen
-- nl: met een ZIN-indicatie in die wijk bij die aanbieder die in het jaar (binnen de dataperiode) minstens
-- nl: één dag liep; in een totaalrij telt elke cliënt één keer, en cellen met weinig cliënten worden bij
-- nl: publicatie verborgen. Geïndiceerde uren, geleverde (gedeclareerde) uren, tekort in uren en kosten van
-- nl: het tekort: de maandcijfers uit marts.unmet_demand (niet gepubliceerd), opgeteld over het jaar;
-- nl: aandeel geleverd = geleverde uren / geïndiceerde uren.
-- disclosure: audience council
-- disclosure: persons clients
-- disclosure: hidden indicated_hours, delivered_hours, share_delivered, gap_hours, gap_cost_eur with clients
WITH active AS (
  SELECT DISTINCT i.gemeente_code, i.wijk_code, i.aanbieder_agb, i.client_id, y.year::INTEGER AS year
  FROM staging.indicaties i
  CROSS JOIN staging.data_period p
  CROSS JOIN range(year(p.data_from), year(p.data_to) + 1) y(year)
  WHERE i.leveringsvorm = 'ZIN'
    AND i.start_date <= least(make_date(y.year::INTEGER, 12, 31), p.data_to)
    AND coalesce(i.end_date, DATE '9999-12-31') >= greatest(make_date(y.year::INTEGER, 1, 1), p.data_from)
), clients AS (
  SELECT gemeente_code, CASE WHEN grouping(wijk_code) = 1 THEN 'alle' ELSE wijk_code END AS wijk_code,
         CASE WHEN grouping(aanbieder_agb) = 1 THEN 'alle' ELSE aanbieder_agb END AS aanbieder_agb, year,
         count(DISTINCT client_id) AS clients
  FROM active
  GROUP BY GROUPING SETS ((gemeente_code, wijk_code, aanbieder_agb, year), (gemeente_code, wijk_code, year),
                          (gemeente_code, aanbieder_agb, year), (gemeente_code, year))
), hours AS (
  SELECT gemeente_code, CASE WHEN grouping(wijk_code) = 1 THEN 'alle' ELSE wijk_code END AS wijk_code,
         CASE WHEN grouping(aanbieder_agb) = 1 THEN 'alle' ELSE aanbieder_agb END AS aanbieder_agb, year,
         sum(indicated_hours) AS indicated_hours, sum(delivered_hours) AS delivered_hours,
         sum(gap_hours) AS gap_hours, sum(gap_cost_eur) AS gap_cost_eur
  FROM marts.unmet_demand
  GROUP BY GROUPING SETS ((gemeente_code, wijk_code, aanbieder_agb, year), (gemeente_code, wijk_code, year),
                          (gemeente_code, aanbieder_agb, year), (gemeente_code, year))
), gemeenten AS (
  SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken
)
SELECT h.gemeente_code, g.gemeente_name, h.wijk_code,
       CASE WHEN h.wijk_code = 'alle' THEN 'alle wijken' ELSE coalesce(w.wijk_name, h.wijk_code) END AS wijk_name,
       h.aanbieder_agb,
       CASE WHEN h.aanbieder_agb = 'alle' THEN 'alle aanbieders' ELSE coalesce(a.aanbieder_name, h.aanbieder_agb) END AS aanbieder_name,
       h.year, coalesce(c.clients, 0)::BIGINT AS clients,
       h.indicated_hours::DOUBLE AS indicated_hours, h.delivered_hours::DOUBLE AS delivered_hours,
       (h.delivered_hours / nullif(h.indicated_hours, 0))::DOUBLE AS share_delivered,
       h.gap_hours::DOUBLE AS gap_hours, h.gap_cost_eur::DOUBLE AS gap_cost_eur
FROM hours h
LEFT JOIN clients c USING (gemeente_code, wijk_code, aanbieder_agb, year)
LEFT JOIN gemeenten g USING (gemeente_code)
LEFT JOIN staging.wijken w ON w.wijk_code = h.wijk_code
LEFT JOIN staging.aanbieders a ON a.aanbieder_agb = h.aanbieder_agb
ORDER BY h.gemeente_code, h.wijk_code, h.aanbieder_agb, h.year
