-- marts.herindicaties: one row per wijk × product × year of the new ingangsdatum × reden wijziging
-- of the replaced toewijzing. A herindicatie is a toewijzing that replaces an earlier one of the same
-- client and product (see staging.toewijzingen). herindicaties: their number; lowered / raised: of
-- those, with fewer / more hours per week than the replaced one; hours_per_week_before /
-- hours_per_week_after: Σ of hours per week of the replaced and of the new toewijzingen;
-- change_hours_per_week = after − before; mean_transition_days: mean days from the decision
-- (toewijzingsdatum) to the new ingangsdatum (the overgangsperiode).
-- nl: Eén rij per wijk per product per jaar (van de nieuwe ingangsdatum) per reden van wijziging van de
-- nl: vervangen toewijzing. Een herindicatie is een toewijzing die een eerdere toewijzing van dezelfde cliënt
-- nl: voor hetzelfde product vervangt. Per rij: het aantal herindicaties, hoeveel daarvan minder en hoeveel
-- nl: meer uren per week toekennen dan de vervangen toewijzing, de uren per week vóór en na (opgeteld) en het
-- nl: verschil. Gemiddelde overgangsperiode: het gemiddelde aantal dagen tussen het besluit
-- nl: (toewijzingsdatum) en de ingangsdatum van de nieuwe toewijzing.
-- disclosure: audience council
-- disclosure: persons herindicaties, lowered, raised
-- disclosure: hidden hours_per_week_before, hours_per_week_after, change_hours_per_week, mean_transition_days with herindicaties
-- disclosure: parts herindicaties = lowered + raised
SELECT n.gemeente_code, n.wijk_code, w.wijk_name, n.product_code, year(n.start_date)::INTEGER AS year,
       coalesce(o.reden_wijziging, 'onbekend') AS reden_wijziging,
       count(*)::BIGINT AS herindicaties,
       count(*) FILTER (WHERE n.hours_per_week < n.hours_per_week_before)::BIGINT AS lowered,
       count(*) FILTER (WHERE n.hours_per_week > n.hours_per_week_before)::BIGINT AS raised,
       sum(n.hours_per_week_before)::DOUBLE AS hours_per_week_before,
       sum(n.hours_per_week)::DOUBLE AS hours_per_week_after,
       (sum(n.hours_per_week) - sum(n.hours_per_week_before))::DOUBLE AS change_hours_per_week,
       avg(n.transition_days)::DOUBLE AS mean_transition_days
FROM staging.toewijzingen n
JOIN staging.toewijzingen o ON o.gemeente_code = n.gemeente_code AND o.toewijzing_nummer = n.replaces
LEFT JOIN staging.wijken w ON w.wijk_code = n.wijk_code
WHERE n.is_herindicatie
  AND n.start_date BETWEEN (SELECT data_from FROM staging.data_period) AND (SELECT data_to FROM staging.data_period)
GROUP BY ALL
ORDER BY n.gemeente_code, n.wijk_code, n.product_code, year, reden_wijziging
