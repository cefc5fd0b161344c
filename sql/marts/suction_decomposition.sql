-- marts.suction_decomposition: the growth in clients since the baseline year (HBH_BASELINE_YEAR, default
-- 2018) split into demography and excess (the abonnementstarief's "aanzuigende werking" and other change).
-- One row per year from the baseline on (the baseline year itself: growth 0) × level: regio (all gemeenten), gemeente, wijk, age band within a
-- gemeente (gemeente_code + age_band) and age band over the region (age_band only).
-- Cells are wijk × age band (marts.age_rates). For each cell c: baseline rate r_c = clients_c in the
-- baseline year / inhabitants_c in the baseline year; expected_c = r_c × inhabitants_c in the year.
-- clients_baseline / clients: the level's clients in the baseline year / in the year, as the level's own
--   table counts them (marts.wijk_year, gemeente_year, age_year; the region: their sum) = Σ of the cells'.
-- expected = clients_baseline × Σ_c B_c w_c / Σ_c B_c with B_c the cell's baseline clients and w_c =
--   inhabitants_c(year) / inhabitants_c(baseline): Σ expected_c (what the baseline's age-specific rates per
--   wijk give with this year's population), written so that it can be computed from the published,
--   protected cells too (cells whose count is hidden are left out of the weights).
-- demographic_growth = expected / clients_baseline − 1; excess_growth = (clients − expected) /
--   clients_baseline; total_growth = clients / clients_baseline − 1 = demographic + excess.
-- Uncertainty (95%): counts treated as independent Poisson variables (var = count) and propagated with
--   the delta method: var(excess) = (clients + Σ_c B_c (w_c + excess)²) / clients_baseline², with B_c the
--   baseline clients and w_c = inhabitants_c(year) / inhabitants_c(baseline); var(total) = clients /
--   B² + clients² / B³; low/high = estimate ∓ 1.96 × se. Continuing clients make the two years' counts
--   positively correlated, so this interval is conservative (wider than the true one).
-- pre_trend: the average yearly change of the demography-adjusted rate before the baseline: the index
--   I(y) = clients(y) / expected(y) (baseline rates × population of y; I = 1 in the baseline year) gives
--   pre_trend = (I(baseline) / I(first year))^(1 / years between) − 1 (0 when the data starts at the
--   baseline; pre_trend_years says how many years it spans). expected_with_trend = expected ×
--   (1 + pre_trend)^(year − baseline); excess_growth_net_of_trend = (clients − expected_with_trend) /
--   clients_baseline: the excess beyond what the pre-baseline trend would have given anyway.
-- nl: De groei van het aantal cliënten sinds het basisjaar (standaard 2018), gesplitst in demografie en extra
-- nl: groei: de 'aanzuigende werking' van het abonnementstarief en andere veranderingen. Eén rij per jaar
-- nl: vanaf het basisjaar (daarin is de groei 0) per niveau: regio, gemeente, wijk, leeftijdsgroep binnen een
-- nl: gemeente en leeftijdsgroep in de hele regio. Verwachte cliënten = per wijk en leeftijdsgroep het
-- nl: gebruik in het basisjaar × de inwoners van dit jaar, opgeteld; demografische groei = verwacht /
-- nl: cliënten in het basisjaar − 1; extra groei = (cliënten − verwacht) / cliënten in het basisjaar; samen
-- nl: vormen ze de totale groei. De 95%-band behandelt de aantallen als onafhankelijk en is daardoor ruimer
-- nl: dan de werkelijke onzekerheid, omdat veel cliënten in beide jaren meetellen. De trend vóór het
-- nl: basisjaar is de gemiddelde jaarlijkse verandering van het voor de bevolkingsopbouw gecorrigeerde
-- nl: gebruik in de jaren vóór het basisjaar (0 als de data in het basisjaar begint); de extra groei na
-- nl: aftrek van die trend is wat er overblijft als die trend gewoon was doorgegaan.
-- disclosure: audience council
-- disclosure: recompute from the published marts.age_rates, marts.wijk_year, marts.gemeente_year and marts.age_year
-- disclosure: persons clients, clients_baseline
-- disclosure: model expected over marts.age_rates
WITH cells AS (
  SELECT gemeente_code, gemeente_name, wijk_code, wijk_name, age_band, year, clients, inhabitants
  FROM marts.age_rates
), base AS (
  SELECT wijk_code, age_band, clients AS b, inhabitants AS p_b
  FROM cells WHERE year = getvariable('baseline_year')
), cw AS (
  SELECT c.*, b.b, CASE WHEN b.b IS NOT NULL THEN coalesce(c.inhabitants / nullif(b.p_b, 0), 0) END AS w
  FROM cells c JOIN base b USING (wijk_code, age_band)
), cell_sums AS (
  SELECT CASE WHEN grouping(gemeente_code) = 1 AND grouping(age_band) = 1 THEN 'regio'
              WHEN grouping(gemeente_code) = 1 THEN 'leeftijd_regio'
              WHEN grouping(wijk_code) = 0 THEN 'wijk'
              WHEN grouping(age_band) = 0 THEN 'leeftijd'
              ELSE 'gemeente' END AS level,
         gemeente_code, any_value(gemeente_name) AS gemeente_name, wijk_code, any_value(wijk_name) AS wijk_name,
         age_band, year,
         sum(b) FILTER (WHERE w IS NOT NULL) AS b_sum, sum(b * w) AS bw, sum(b * w * w) AS bww
  FROM cw
  GROUP BY GROUPING SETS ((year), (year, age_band), (year, gemeente_code), (year, gemeente_code, wijk_code),
                          (year, gemeente_code, age_band))
), counts AS (  -- the level's clients as its own table counts them (one figure, one number)
  SELECT 'wijk' AS level, gemeente_code, wijk_code, NULL AS age_band, year, clients FROM marts.wijk_year
  UNION ALL SELECT 'gemeente', gemeente_code, NULL, NULL, year, clients FROM marts.gemeente_year
  UNION ALL SELECT 'leeftijd', gemeente_code, NULL, age_band, year, clients FROM marts.age_year
  UNION ALL SELECT 'regio', NULL, NULL, NULL, year, sum(clients) FROM marts.gemeente_year GROUP BY year
  UNION ALL SELECT 'leeftijd_regio', NULL, NULL, age_band, year, sum(clients) FROM marts.age_year GROUP BY age_band, year
), agg AS (
  SELECT s.level, s.gemeente_code, s.gemeente_name, s.wijk_code, s.wijk_name, s.age_band, s.year,
         cb.clients AS clients_baseline, c.clients AS clients,
         cb.clients * s.bw / nullif(s.b_sum, 0) AS expected, cb.clients * s.bww / nullif(s.b_sum, 0) AS s2
  FROM cell_sums s
  LEFT JOIN counts c ON c.level = s.level AND c.gemeente_code IS NOT DISTINCT FROM s.gemeente_code
       AND c.wijk_code IS NOT DISTINCT FROM s.wijk_code AND c.age_band IS NOT DISTINCT FROM s.age_band AND c.year = s.year
  LEFT JOIN counts cb ON cb.level = s.level AND cb.gemeente_code IS NOT DISTINCT FROM s.gemeente_code
       AND cb.wijk_code IS NOT DISTINCT FROM s.wijk_code AND cb.age_band IS NOT DISTINCT FROM s.age_band
       AND cb.year = getvariable('baseline_year')
), idx AS (
  SELECT *, clients / nullif(expected, 0) AS demo_adjusted_index,
         min(year) OVER (PARTITION BY level, gemeente_code, wijk_code, age_band) AS first_year
  FROM agg
), trend AS (
  SELECT level, gemeente_code, wijk_code, age_band,
         getvariable('baseline_year') - min(year) AS pre_trend_years,
         CASE WHEN getvariable('baseline_year') > min(year)
              THEN pow(1.0 / nullif(arg_min(demo_adjusted_index, year), 0),
                       1.0 / (getvariable('baseline_year') - min(year))) - 1
              ELSE 0 END AS pre_trend
  FROM idx WHERE year <= getvariable('baseline_year')
  GROUP BY ALL
), est AS (
  SELECT i.*, t.pre_trend, t.pre_trend_years,
         i.expected / nullif(i.clients_baseline, 0) - 1 AS demographic_growth,
         (i.clients - i.expected) / nullif(i.clients_baseline, 0) AS excess_growth,
         i.clients / nullif(i.clients_baseline, 0) - 1 AS total_growth,
         i.expected * pow(1 + coalesce(t.pre_trend, 0), i.year - getvariable('baseline_year')) AS expected_with_trend
  FROM idx i
  LEFT JOIN trend t ON t.level = i.level AND t.gemeente_code IS NOT DISTINCT FROM i.gemeente_code
                   AND t.wijk_code IS NOT DISTINCT FROM i.wijk_code AND t.age_band IS NOT DISTINCT FROM i.age_band
  WHERE i.year >= getvariable('baseline_year')
), se AS (
  SELECT *,
         CASE WHEN year = getvariable('baseline_year') THEN 0 ELSE 1 END * sqrt((clients + s2 + 2 * excess_growth * expected + excess_growth * excess_growth * clients_baseline)
              / nullif(clients_baseline * clients_baseline, 0)) AS excess_growth_se,
         CASE WHEN year = getvariable('baseline_year') THEN 0 ELSE 1 END * sqrt(clients / nullif(clients_baseline * clients_baseline, 0)
              + clients * clients / nullif(pow(clients_baseline, 3), 0)) AS total_growth_se
  FROM est
)
SELECT level, gemeente_code, gemeente_name, wijk_code, wijk_name, age_band, year::INTEGER AS year,
       getvariable('baseline_year')::INTEGER AS baseline_year,
       clients_baseline::BIGINT AS clients_baseline, clients::BIGINT AS clients, expected::DOUBLE AS expected,
       demographic_growth::DOUBLE AS demographic_growth, excess_growth::DOUBLE AS excess_growth,
       total_growth::DOUBLE AS total_growth,
       excess_growth_se::DOUBLE AS excess_growth_se,
       (excess_growth - 1.96 * excess_growth_se)::DOUBLE AS excess_growth_low,
       (excess_growth + 1.96 * excess_growth_se)::DOUBLE AS excess_growth_high,
       (total_growth - 1.96 * total_growth_se)::DOUBLE AS total_growth_low,
       (total_growth + 1.96 * total_growth_se)::DOUBLE AS total_growth_high,
       pre_trend::DOUBLE AS pre_trend, pre_trend_years::INTEGER AS pre_trend_years,
       expected_with_trend::DOUBLE AS expected_with_trend,
       ((clients - expected_with_trend) / nullif(clients_baseline, 0))::DOUBLE AS excess_growth_net_of_trend
FROM se
ORDER BY CASE level WHEN 'regio' THEN 0 WHEN 'leeftijd_regio' THEN 1 WHEN 'gemeente' THEN 2 WHEN 'leeftijd' THEN 3 ELSE 4 END,
         gemeente_code, wijk_code, age_band, year
