-- marts.herindicatie_simulation: what a herindicatie round to a new product set would do, before it starts; one
-- row per gemeente × wijk × age band (year = the first year of the new product set, staging.productmapping).
-- Current indicaties: those active on the reference day whose product has a mapping (staging.productmapping); the
--   reference day is the last day of the data period (staging.data_period), or, when the data already run into the
--   round's first year, the day before that year (so the simulation stays the one made before the round, to set
--   beside the observed herindicaties in marts.herindicatie_comparison); minutes per week before = hours_per_week × 60 (staging.indicaties: every
--   volume normalised to a week, every-other-week help halved); after = the new product's minutes per week.
-- Per client (summed over the client's mapped indicaties): down when after < before, same when equal, up when
--   after > before. wijk and age band: the client's in the reference day's year (staging.client_years).
-- clients, clients_down, clients_same, clients_up: those counts; minutes_per_week_before / _after: Σ over the
--   clients; mean_minutes_per_week_before / _after: per client (Σ / clients).
-- tariff: the new product's tariff in the first year (staging.producten), else the old product's in that year,
--   else the old product's latest tariff. transition_cost_eur = Σ over clients going down of (before − after) / 60
--   × transition months × 52 / 12 × tariff: what keeping the current minutes during the overgangsperiode costs
--   compared with the new minutes at once (clients going up get the new minutes at once).
-- yearly_cost_effect_eur = Σ (after − before) / 60 × 52 × tariff: the change of the yearly cost of the indicated
--   help once the round is done (negative: savings), at the tariff of the first year.
-- nl: Wat doet een herindicatieronde naar een nieuwe productenset, vóórdat die begint? Per gemeente, wijk en
-- nl: leeftijdsgroep. Uitgangspunt zijn de indicaties die op de laatste dag van de gegevens lopen (lopen de gegevens
-- nl: al in het eerste jaar van de ronde: op de dag ervoor), met een product dat in de productmapping staat.
-- nl: Minuten per week vóór = de huidige indicatie (hulp eens per twee weken telt
-- nl: als de helft per week); na = de minuten per week van het nieuwe product. Per cliënt (alle gemapte
-- nl: indicaties samen): omlaag, gelijk of omhoog. Overgangskosten = wat het kost dat cliënten die omlaag gaan
-- nl: tijdens de overgangsperiode hun huidige minuten houden; jaarlijks effect = (minuten na − vóór) / 60 × 52 weken
-- nl: × het tarief van het nieuwe product in het eerste jaar (anders dat van het huidige product): de verandering
-- nl: van de jaarlijkse kosten van de geïndiceerde hulp na de ronde (negatief = besparing).
-- disclosure: audience council
-- disclosure: persons clients, clients_down, clients_same, clients_up
-- disclosure: parts clients = clients_down + clients_same + clients_up
-- disclosure: hidden minutes_per_week_before, minutes_per_week_after, yearly_cost_effect_eur with clients
-- disclosure: hidden transition_cost_eur with clients, clients_down
-- disclosure: derived mean_minutes_per_week_before = minutes_per_week_before / nullif(clients, 0)
-- disclosure: derived mean_minutes_per_week_after = minutes_per_week_after / nullif(clients, 0)
WITH period AS (
  SELECT ref AS data_to, year(ref)::INTEGER AS last_year
  FROM (SELECT least(d.data_to, coalesce(make_date((SELECT min(start_year) FROM staging.productmapping), 1, 1)
                                                   - INTERVAL 1 DAY, d.data_to))::DATE AS ref
        FROM staging.data_period d)
), latest_tariff AS (
  SELECT gemeente_code, product_code, arg_max(tariff_per_hour, year) AS tariff_per_hour FROM staging.producten GROUP BY ALL
), cur AS (
  SELECT i.client_id, i.gemeente_code, i.hours_per_week * 60 AS minutes_before, m.minutes_per_week AS minutes_after,
         m.transition_months, m.start_year,
         coalesce(pn.tariff_per_hour, po.tariff_per_hour, pl.tariff_per_hour) AS tariff
  FROM staging.indicaties i
  JOIN staging.productmapping m ON m.gemeente_code = i.gemeente_code AND m.old_product_code = i.product_code
  CROSS JOIN period p
  LEFT JOIN staging.producten pn ON pn.gemeente_code = m.gemeente_code AND pn.product_code = m.new_product_code
                                AND pn.year = m.start_year
  LEFT JOIN staging.producten po ON po.gemeente_code = m.gemeente_code AND po.product_code = m.old_product_code
                                AND po.year = m.start_year
  LEFT JOIN latest_tariff pl ON pl.gemeente_code = m.gemeente_code AND pl.product_code = m.old_product_code
  WHERE i.start_date <= p.data_to AND coalesce(i.end_date, DATE '9999-12-31') >= p.data_to
), per_client AS (
  SELECT client_id, gemeente_code, max(start_year) AS start_year,
         sum(minutes_before) AS before, sum(minutes_after) AS after,
         sum(greatest(minutes_before - minutes_after, 0) / 60.0 * transition_months * 52.0 / 12.0 * tariff) AS transition_cost,
         sum((minutes_after - minutes_before) / 60.0 * 52.0 * tariff) AS yearly_effect
  FROM cur GROUP BY ALL
), placed AS (
  SELECT pc.*, cy.wijk_code, cy.age_band,
         CASE WHEN round(pc.after - pc.before, 6) < 0 THEN 'down' WHEN round(pc.after - pc.before, 6) > 0 THEN 'up'
              ELSE 'same' END AS direction
  FROM per_client pc
  JOIN staging.client_years cy ON cy.client_id = pc.client_id AND cy.year = (SELECT last_year FROM period)
)
SELECT p.gemeente_code, w.gemeente_name, p.wijk_code, w.wijk_name, p.age_band, p.start_year::INTEGER AS year,
       count(*)::BIGINT AS clients,
       count(*) FILTER (WHERE direction = 'down')::BIGINT AS clients_down,
       count(*) FILTER (WHERE direction = 'same')::BIGINT AS clients_same,
       count(*) FILTER (WHERE direction = 'up')::BIGINT AS clients_up,
       sum(before)::DOUBLE AS minutes_per_week_before, sum(after)::DOUBLE AS minutes_per_week_after,
       (sum(before) / count(*))::DOUBLE AS mean_minutes_per_week_before,
       (sum(after) / count(*))::DOUBLE AS mean_minutes_per_week_after,
       sum(transition_cost)::DOUBLE AS transition_cost_eur, sum(yearly_effect)::DOUBLE AS yearly_cost_effect_eur
FROM placed p
LEFT JOIN staging.wijken w USING (wijk_code)
GROUP BY ALL
ORDER BY p.gemeente_code, p.wijk_code, p.age_band
