-- marts.indication_durations: one row per gemeente × year of ingangsdatum × duration class.
-- indications: indicaties (staging.indicaties, every product and leveringsvorm) that start in the
-- year, by duration class: kort = einddatum set and einddatum − ingangsdatum + 1 < 365 days;
-- lang = einddatum set and at least 365 days; onbepaald = no einddatum (indefinite).
-- share_of_indications = indications / all indications that started in the gemeente that year.
-- nl: Eén rij per gemeente per jaar per duurklasse, naar het jaar waarin de indicatie ingaat. Indicaties:
-- nl: alle indicaties (elk product, zorg in natura én pgb) die in het jaar ingaan, naar looptijd: kort = met
-- nl: einddatum en korter dan 365 dagen; lang = met einddatum en minstens 365 dagen; onbepaald = zonder
-- nl: einddatum. Aandeel: deze indicaties als deel van alle indicaties die dat jaar in de gemeente ingingen.
-- nl: Het gaat om indicaties, niet om cliënten: een cliënt met meerdere indicaties telt meerdere keren mee.
-- disclosure: audience council
-- disclosure: persons indications
-- disclosure: derived share_of_indications = indications / nullif(sum(indications) OVER (PARTITION BY gemeente_code, year), 0)
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), classes AS (
  SELECT unnest(['kort', 'lang', 'onbepaald']) AS duration_class
), gem AS (
  SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken
), c AS (
  SELECT gemeente_code, year(start_date) AS year,
         CASE WHEN end_date IS NULL THEN 'onbepaald'
              WHEN date_diff('day', start_date, end_date) + 1 < 365 THEN 'kort' ELSE 'lang' END AS duration_class,
         count(*) AS indications
  FROM staging.indicaties GROUP BY ALL
)
SELECT g.gemeente_code, g.gemeente_name, y.year::INTEGER AS year, k.duration_class,
       coalesce(c.indications, 0)::BIGINT AS indications,
       (coalesce(c.indications, 0) / nullif(sum(coalesce(c.indications, 0)) OVER (PARTITION BY g.gemeente_code, y.year), 0))::DOUBLE AS share_of_indications
FROM gem g CROSS JOIN years y CROSS JOIN classes k
LEFT JOIN c ON c.gemeente_code = g.gemeente_code AND c.year = y.year AND c.duration_class = k.duration_class
ORDER BY g.gemeente_code, y.year, k.duration_class
