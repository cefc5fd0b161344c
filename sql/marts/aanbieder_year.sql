-- marts.aanbieder_year: per aanbieder totals, one row per aanbieder × year.
-- clients: distinct persons with at least one active zorg-in-natura indication of the aanbieder in the year;
-- declared_hours, cost_eur: the aanbieder's declaration lines in the year (hours; hours × contracted tariff);
-- wijken: number of wijken where the aanbieder had clients or declared hours (marts.aanbieder_wijk_year);
-- main_wijken: wijken where it has the largest market share (a tie goes to the higher AGB code); market_share_region = its declared hours /
--   all declared hours in the region that year; hours_per_client = declared_hours / clients.
-- nl: Eén rij per aanbieder per jaar, met de totalen van die aanbieder over de hele regio. Cliënten: het
-- nl: aantal verschillende personen met minstens één lopende indicatie in zorg in natura (ZIN) bij deze
-- nl: aanbieder in het jaar. Gedeclareerde uren en kosten (uren × gecontracteerd tarief): de declaraties van
-- nl: de aanbieder in het jaar; uren per cliënt = gedeclareerde uren gedeeld door het aantal cliënten.
-- nl: Wijken: het aantal wijken waar de aanbieder cliënten had of uren declareerde; hoofdwijken: de wijken
-- nl: waar hij het grootste marktaandeel heeft. Marktaandeel in de regio: zijn gedeclareerde uren als deel
-- nl: van alle gedeclareerde uren in de regio dat jaar.
-- disclosure: audience analyst
-- disclosure: persons clients
-- disclosure: hidden declared_hours, cost_eur, hours_per_client, market_share_region with clients
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), cl AS (
  SELECT i.aanbieder_agb, y.year, count(DISTINCT i.client_id) AS clients
  FROM staging.indicaties i
  JOIN years y ON i.start_date <= make_date(y.year, 12, 31)
              AND coalesce(i.end_date, DATE '9999-12-31') >= make_date(y.year, 1, 1)
  WHERE i.leveringsvorm = 'ZIN' AND i.aanbieder_agb IS NOT NULL
  GROUP BY ALL
), aw AS (
  SELECT aanbieder_agb, any_value(aanbieder_name) AS aanbieder_name, year,
         sum(declared_hours) AS declared_hours, sum(cost_eur) AS cost_eur, count(*) AS wijken
  FROM marts.aanbieder_wijk_year GROUP BY ALL
), main AS (
  SELECT aanbieder_agb, year, count(*) AS main_wijken
  FROM (SELECT wijk_code, year, arg_max(aanbieder_agb, (market_share, aanbieder_agb)) AS aanbieder_agb
        FROM marts.aanbieder_wijk_year GROUP BY ALL)
  GROUP BY ALL
)
SELECT aw.aanbieder_agb, aw.aanbieder_name, aw.year::INTEGER AS year, coalesce(cl.clients, 0)::BIGINT AS clients,
       aw.declared_hours::DOUBLE AS declared_hours, aw.cost_eur::DOUBLE AS cost_eur, aw.wijken::BIGINT AS wijken,
       coalesce(main.main_wijken, 0)::BIGINT AS main_wijken,
       (aw.declared_hours / nullif(sum(aw.declared_hours) OVER (PARTITION BY aw.year), 0))::DOUBLE AS market_share_region,
       (aw.declared_hours / nullif(cl.clients, 0))::DOUBLE AS hours_per_client
FROM aw
LEFT JOIN cl USING (aanbieder_agb, year)
LEFT JOIN main USING (aanbieder_agb, year)
ORDER BY aw.year, aw.declared_hours DESC
