-- marts.cost_bridge: why the cost changed from one year to the next, one row per level (gemeente, regio) ×
-- year (compared with the year before), for consecutive years of the data period.
-- cost_eur: Σ hours × contracted tariff of the year's declaration lines (staging.declaraties; as in
--   marts.budget_risk and marts.gemeente_year); clients: persons with an active indication in the year
--   (staging.client_years, as in marts.gemeente_year); declared_hours: Σ declared hours.
-- The cost is a product of four factors: cost = clients × hours_per_client × Σ_product (mix share ×
--   tariff), with hours_per_client = declared_hours / clients, mix share = the product's share of the
--   declared hours and tariff = its cost / hours (the contracted tariff; the catalogue's tariff, or the
--   other year's, for a product without hours in one of the years).
-- The change cost_eur − cost_before_eur is split into four effects with the Shapley method: each effect
--   is the average, over the 24 orders in which the four factors can move from the earlier year's value to
--   this year's, of the cost change when that factor moves. The four effects add up exactly to the change
--   (up to floating-point rounding), whatever the interaction between the factors:
--   clients_effect_eur (more or fewer clients), volume_effect_eur (hours per client), mix_effect_eur (the
--   shares of the products), price_effect_eur (the tariffs).
-- regio: the sums of the gemeenten's figures and effects (so it also adds up exactly).
-- nl: Waarom veranderden de kosten ten opzichte van het jaar ervoor? Eén rij per gemeente (en voor de regio)
-- nl: per jaar. Kosten = gedeclareerde uren × gecontracteerd tarief (zorg in natura); cliënten = personen met
-- nl: een lopende indicatie in het jaar (zoals op het Overzicht). De kosten zijn het product van vier factoren:
-- nl: cliënten × uren per cliënt × (aandeel van elk product in de uren × het tarief van dat product). De
-- nl: verandering van de kosten wordt verdeeld over vier effecten met de Shapley-methode: elk effect is het
-- nl: gemiddelde kostenverschil als die ene factor van de waarde van vorig jaar naar die van dit jaar gaat,
-- nl: gemiddeld over alle volgordes waarin de vier factoren kunnen veranderen. Zo tellen het effect van het
-- nl: aantal cliënten, van de uren per cliënt (volume), van de productmix en van de tarieven (prijs) precies
-- nl: op tot de verandering van de kosten. De regio is de optelling van de gemeenten.
-- disclosure: audience council
-- disclosure: persons clients, clients_before
-- disclosure: derived hours_per_client = declared_hours / nullif(clients, 0)
-- disclosure: derived hours_per_client_before = declared_hours_before / nullif(clients_before, 0)
-- disclosure: hidden declared_hours, cost_eur with clients
-- disclosure: hidden declared_hours_before, cost_before_eur with clients_before
-- disclosure: hidden change_eur, clients_effect_eur, volume_effect_eur, mix_effect_eur, price_effect_eur with clients, clients_before
WITH prod AS (
  SELECT gemeente_code, year, product_code, sum(hours) AS hours, sum(cost_eur) AS cost_eur
  FROM staging.declaraties GROUP BY ALL
), cl AS (
  SELECT gemeente_code, year, count(*) AS clients FROM staging.client_years GROUP BY ALL
), tot AS (
  SELECT p.gemeente_code, p.year, sum(p.hours) AS hours, sum(p.cost_eur) AS cost_eur, any_value(c.clients) AS clients
  FROM prod p JOIN cl c USING (gemeente_code, year) GROUP BY ALL
), pairs AS (
  SELECT b.gemeente_code, b.year, a.clients AS clients_before, b.clients, a.hours AS hours_before, b.hours,
         a.cost_eur AS cost_before, b.cost_eur AS cost,
         a.hours / a.clients AS hpc_before, b.hours / b.clients AS hpc
  FROM tot b JOIN tot a ON a.gemeente_code = b.gemeente_code AND a.year = b.year - 1
), products AS (
  SELECT q.gemeente_code, q.year, p.product_code
  FROM pairs q JOIN prod p ON p.gemeente_code = q.gemeente_code AND p.year IN (q.year - 1, q.year)
  GROUP BY ALL
), pp AS (  -- per pair × product: mix share and tariff in both years
  SELECT k.gemeente_code, k.year, k.product_code,
         coalesce(p0.hours, 0) / q.hours_before AS s0, coalesce(p1.hours, 0) / q.hours AS s1,
         coalesce(p0.cost_eur / nullif(p0.hours, 0), c0.tariff_per_hour, p1.cost_eur / nullif(p1.hours, 0)) AS t0,
         coalesce(p1.cost_eur / nullif(p1.hours, 0), c1.tariff_per_hour, p0.cost_eur / nullif(p0.hours, 0)) AS t1
  FROM products k
  JOIN pairs q USING (gemeente_code, year)
  LEFT JOIN prod p0 ON p0.gemeente_code = k.gemeente_code AND p0.year = k.year - 1 AND p0.product_code = k.product_code
  LEFT JOIN prod p1 ON p1.gemeente_code = k.gemeente_code AND p1.year = k.year AND p1.product_code = k.product_code
  LEFT JOIN staging.producten c0 ON c0.gemeente_code = k.gemeente_code AND c0.year = k.year - 1 AND c0.product_code = k.product_code
  LEFT JOIN staging.producten c1 ON c1.gemeente_code = k.gemeente_code AND c1.year = k.year AND c1.product_code = k.product_code
), f AS (  -- the cost with each factor taken from the earlier (bit 0) or this year (bit 1):
  --         bit 1 clients, bit 2 hours per client, bit 4 product mix, bit 8 tariffs
  SELECT q.gemeente_code, q.year, m.range AS mask,
         any_value(CASE WHEN m.range & 1 = 1 THEN q.clients ELSE q.clients_before END)
         * any_value(CASE WHEN m.range & 2 = 2 THEN q.hpc ELSE q.hpc_before END)
         * sum(CASE WHEN m.range & 4 = 4 THEN pp.s1 ELSE pp.s0 END * CASE WHEN m.range & 8 = 8 THEN pp.t1 ELSE pp.t0 END) AS cost
  FROM pairs q CROSS JOIN range(16) m JOIN pp ON pp.gemeente_code = q.gemeente_code AND pp.year = q.year
  GROUP BY ALL
), players AS (
  SELECT * FROM (VALUES ('clients', 1), ('volume', 2), ('mix', 4), ('price', 8)) t(effect, bit)
), shapley AS (  -- weight of a coalition of k other factors: k! (3 − k)! / 4!
  SELECT a.gemeente_code, a.year, p.effect,
         sum(CASE bit_count(a.mask) WHEN 0 THEN 6 WHEN 3 THEN 6 ELSE 2 END / 24.0 * (b.cost - a.cost)) AS eur
  FROM f a JOIN players p ON a.mask & p.bit = 0
  JOIN f b ON b.gemeente_code = a.gemeente_code AND b.year = a.year AND b.mask = a.mask | p.bit
  GROUP BY ALL
), gem AS (
  SELECT 'gemeente' AS level, q.gemeente_code, q.year, q.clients_before, q.clients, q.hours_before, q.hours,
         q.cost_before, q.cost,
         max(s.eur) FILTER (WHERE s.effect = 'clients') AS clients_effect,
         max(s.eur) FILTER (WHERE s.effect = 'volume') AS volume_effect,
         max(s.eur) FILTER (WHERE s.effect = 'mix') AS mix_effect,
         max(s.eur) FILTER (WHERE s.effect = 'price') AS price_effect
  FROM pairs q JOIN shapley s USING (gemeente_code, year)
  GROUP BY ALL
), both_levels AS (
  SELECT * FROM gem
  UNION ALL
  SELECT 'regio', NULL, year, sum(clients_before), sum(clients), sum(hours_before), sum(hours), sum(cost_before),
         sum(cost), sum(clients_effect), sum(volume_effect), sum(mix_effect), sum(price_effect)
  FROM gem GROUP BY year
)
SELECT b.level, b.gemeente_code, coalesce(n.gemeente_name, 'Regio') AS gemeente_name, b.year::INTEGER AS year,
       (b.year - 1)::INTEGER AS year_before,
       b.clients_before::BIGINT AS clients_before, b.clients::BIGINT AS clients,
       b.hours_before::DOUBLE AS declared_hours_before, b.hours::DOUBLE AS declared_hours,
       (b.hours_before / b.clients_before)::DOUBLE AS hours_per_client_before,
       (b.hours / b.clients)::DOUBLE AS hours_per_client,
       b.cost_before::DOUBLE AS cost_before_eur, b.cost::DOUBLE AS cost_eur,
       (b.cost - b.cost_before)::DOUBLE AS change_eur,
       b.clients_effect::DOUBLE AS clients_effect_eur, b.volume_effect::DOUBLE AS volume_effect_eur,
       b.mix_effect::DOUBLE AS mix_effect_eur, b.price_effect::DOUBLE AS price_effect_eur
FROM both_levels b
LEFT JOIN (SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken) n USING (gemeente_code)
ORDER BY b.level, b.gemeente_code, b.year
