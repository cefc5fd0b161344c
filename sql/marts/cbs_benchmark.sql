-- marts.cbs_benchmark: how the HbH use of each wijk and gemeente in scope (staging.wijken) compares with
-- regions of the same kind in CBS's national figures. One row per level (wijk, gemeente) × region × year
-- of the CBS tables (staging.cbs_wmo, HbH).
-- cbs_clients_per_1000: CBS's HbH clients per 1,000 inhabitants (the same definition for the region and its
--   peers). Kind of region, from CBS Kerncijfers wijken en buurten of that year or the latest earlier one
--   (staging.cbs_kwb): a wijk by its urbanity (mate van stedelijkheid 1-5) and its share of inhabitants
--   aged 65+ (classes < 15%, 15-20%, 20-25%, 25-30%, 30% or more; KWB has no 75+ band); a gemeente by
--   CBS's size classes of inhabitants (< 10,000; 10-20,000; 20-50,000; 50-100,000; 100-150,000;
--   150-250,000; 250,000 or more). peer_group names the class.
-- peer_regions: the other regions of the same level, kind and year with a published CBS rate (the region
--   itself excluded); peers_lower / peers_equal: how many of them have a lower / equal rate.
-- cbs_percentile = (peers_lower + peers_equal / 2) / peer_regions; peer_median / peer_p25 / peer_p75: the
--   peers' rates. cbs_sentence: "hoger dan k van de 10 vergelijkbare wijken" with k = round(10 × percentile)
--   (at or above the middle), else "lager dan k van de 10" with k = round(10 × (1 − percentile)); at the
--   extremes (percentile ≥ 0.95 or ≤ 0.05) "hoger/lager dan vrijwel alle vergelijkbare wijken"; fewer than
--   5 peers: no percentile.
-- nl: Hoe verhoudt het gebruik van hulp bij het huishouden in een wijk of gemeente zich tot vergelijkbare
-- nl: wijken of gemeenten in heel Nederland? Beide kanten met het CBS-cijfer (HbH-cliënten per 1.000
-- nl: inwoners, tabel Wmo-cliënten per wijk), dus met dezelfde definitie. Vergelijkbaar: een wijk met
-- nl: dezelfde mate van stedelijkheid (1 zeer sterk tot 5 niet stedelijk) en hetzelfde aandeel 65-plussers
-- nl: (klassen onder 15%, 15-20%, 20-25%, 25-30%, 30% of meer; het CBS heeft geen 75+-groep per wijk); een
-- nl: gemeente in dezelfde grootteklasse (inwoners). Percentiel = het deel van de vergelijkbare gebieden met
-- nl: een lager cijfer (gelijke cijfers tellen half). "Hoger dan 8 van de 10 vergelijkbare wijken" betekent
-- nl: een percentiel van ongeveer 80%. Met minder dan 5 vergelijkbare gebieden geven we geen percentiel.
-- disclosure: audience council (CBS's published, already protected figures only: no count of ours)
WITH cbs AS (
  SELECT c.year, c.region_code, c.region_level, c.gemeente_code, c.cbs_clients, c.cbs_clients_per_1000,
         c.cbs_period, c.cbs_table_id, k.kwb_table_id, k.year AS kwb_year, k.inhabitants, k.share_65plus, k.urbanity
  FROM staging.cbs_wmo c
  ASOF LEFT JOIN staging.cbs_kwb k ON k.region_code = c.region_code AND k.year <= c.year
  WHERE c.region_level IN ('wijk', 'gemeente')
), classed AS (
  SELECT *,
         CASE WHEN region_level = 'wijk' AND urbanity IS NOT NULL AND share_65plus IS NOT NULL THEN
                'stedelijkheid ' || urbanity || ', 65+ ' ||
                CASE WHEN share_65plus < 0.15 THEN 'onder 15%' WHEN share_65plus < 0.20 THEN '15-20%'
                     WHEN share_65plus < 0.25 THEN '20-25%' WHEN share_65plus < 0.30 THEN '25-30%'
                     ELSE '30% of meer' END
              WHEN region_level = 'gemeente' AND inhabitants IS NOT NULL THEN
                CASE WHEN inhabitants < 10000 THEN 'minder dan 10.000 inwoners'
                     WHEN inhabitants < 20000 THEN '10.000-20.000 inwoners'
                     WHEN inhabitants < 50000 THEN '20.000-50.000 inwoners'
                     WHEN inhabitants < 100000 THEN '50.000-100.000 inwoners'
                     WHEN inhabitants < 150000 THEN '100.000-150.000 inwoners'
                     WHEN inhabitants < 250000 THEN '150.000-250.000 inwoners'
                     ELSE '250.000 inwoners of meer' END
         END AS peer_group
  FROM cbs
), ours AS (
  SELECT 'wijk' AS level, w.gemeente_code, w.gemeente_name, w.wijk_code AS region_code, w.wijk_name AS region_name
  FROM staging.wijken w
  UNION ALL
  SELECT DISTINCT 'gemeente', gemeente_code, gemeente_name, gemeente_code, gemeente_name FROM staging.wijken
), mine AS (
  SELECT o.level, o.gemeente_code, o.gemeente_name, o.region_code, o.region_name, c.year, c.cbs_table_id,
         c.cbs_period, c.kwb_table_id, c.kwb_year, c.cbs_clients, c.cbs_clients_per_1000, c.inhabitants,
         c.share_65plus, c.urbanity, c.peer_group
  FROM ours o JOIN classed c ON c.region_code = o.region_code AND c.region_level = o.level
), peers AS (
  SELECT m.level, m.region_code, m.year,
         count(p.cbs_clients_per_1000) AS peer_regions,
         count_if(p.cbs_clients_per_1000 < m.cbs_clients_per_1000) AS peers_lower,
         count_if(p.cbs_clients_per_1000 = m.cbs_clients_per_1000) AS peers_equal,
         median(p.cbs_clients_per_1000) AS peer_median,
         quantile_cont(p.cbs_clients_per_1000, 0.25) AS peer_p25,
         quantile_cont(p.cbs_clients_per_1000, 0.75) AS peer_p75
  FROM mine m
  JOIN classed p ON p.region_level = m.level AND p.year = m.year AND p.peer_group = m.peer_group
                AND p.region_code <> m.region_code AND p.cbs_clients_per_1000 IS NOT NULL
  GROUP BY m.level, m.region_code, m.year
), pct AS (
  SELECT m.*, coalesce(p.peer_regions, 0) AS peer_regions, coalesce(p.peers_lower, 0) AS peers_lower,
         coalesce(p.peers_equal, 0) AS peers_equal, p.peer_median, p.peer_p25, p.peer_p75,
         CASE WHEN p.peer_regions >= 5 AND m.cbs_clients_per_1000 IS NOT NULL
              THEN (p.peers_lower + p.peers_equal / 2.0) / p.peer_regions END AS cbs_percentile
  FROM mine m LEFT JOIN peers p USING (level, region_code, year)
)
SELECT level, gemeente_code, gemeente_name, region_code, region_name, year::INTEGER AS year, cbs_table_id, cbs_period,
       kwb_table_id, kwb_year::INTEGER AS kwb_year, cbs_clients::BIGINT AS cbs_clients,
       cbs_clients_per_1000::DOUBLE AS cbs_clients_per_1000, inhabitants::BIGINT AS inhabitants,
       share_65plus::DOUBLE AS share_65plus, urbanity, peer_group, peer_regions::BIGINT AS peer_regions,
       peers_lower::BIGINT AS peers_lower, peers_equal::BIGINT AS peers_equal, peer_median::DOUBLE AS peer_median,
       peer_p25::DOUBLE AS peer_p25, peer_p75::DOUBLE AS peer_p75, cbs_percentile::DOUBLE AS cbs_percentile,
       CASE
         WHEN cbs_clients_per_1000 IS NULL THEN 'geen CBS-cijfer (geheim of niet gepubliceerd)'
         WHEN peer_group IS NULL THEN 'soort gebied onbekend (geen Kerncijfers wijken en buurten)'
         WHEN cbs_percentile IS NULL THEN 'te weinig vergelijkbare ' || CASE WHEN level = 'wijk' THEN 'wijken' ELSE 'gemeenten' END
              || ' (' || peer_regions || ')'
         WHEN cbs_percentile >= 0.95 THEN 'hoger dan vrijwel alle vergelijkbare '
              || CASE WHEN level = 'wijk' THEN 'wijken' ELSE 'gemeenten' END
         WHEN cbs_percentile <= 0.05 THEN 'lager dan vrijwel alle vergelijkbare '
              || CASE WHEN level = 'wijk' THEN 'wijken' ELSE 'gemeenten' END
         WHEN cbs_percentile >= 0.5 THEN 'hoger dan ' || round(cbs_percentile * 10)::INTEGER || ' van de 10 vergelijkbare '
              || CASE WHEN level = 'wijk' THEN 'wijken' ELSE 'gemeenten' END
         ELSE 'lager dan ' || round((1 - cbs_percentile) * 10)::INTEGER || ' van de 10 vergelijkbare '
              || CASE WHEN level = 'wijk' THEN 'wijken' ELSE 'gemeenten' END
       END AS cbs_sentence
FROM pct
ORDER BY level DESC, gemeente_code, region_code, year
