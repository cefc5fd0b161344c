-- staging.toewijzingen: one row per indicatie (staging.indicaties) with what happened to it.
-- reden_wijziging, urgentie: the optional indicaties columns (iWmo RedenWijziging; municipal urgency).
-- replaces: the toewijzing_nummer of the indication of the same client, gemeente and product that
--   ended at most 7 days before this one started (the latest such; of two that ended the same day, the
--   higher toewijzing_nummer, so the choice never depends on load order); a row that replaces another is a
--   herindicatie (is_herindicatie), and its hours_per_week_before are those of the replaced one.
-- transition_days: for a herindicatie, days from its toewijzingsdatum (the decision) to its ingangsdatum.
-- is_new_request: a ZIN indication that is not a herindicatie; days_to_start = WMO305 start date −
--   toewijzingsdatum (NULL until a start is reported). age_at_toewijzing and its age band.
-- stop_date, stop_reden: from WMO307 (staging.zorgstops).
-- Sources: staging.indicaties, staging.zorgstarts, staging.zorgstops.
WITH i AS (
  SELECT * FROM staging.indicaties
), prev AS (
  SELECT n.gemeente_code, n.toewijzing_nummer,
         arg_max(p.toewijzing_nummer, (p.end_date, p.toewijzing_nummer)) AS replaces,
         arg_max(p.hours_per_week, (p.end_date, p.toewijzing_nummer)) AS hours_per_week_before
  FROM i n JOIN i p
    ON p.client_id = n.client_id AND p.gemeente_code = n.gemeente_code AND p.product_code = n.product_code
   AND p.toewijzing_nummer <> n.toewijzing_nummer
   AND p.end_date BETWEEN n.start_date - INTERVAL 7 DAY AND n.start_date - INTERVAL 1 DAY
  GROUP BY ALL
)
SELECT i.client_id, i.gemeente_code, i.wijk_code, i.toewijzing_nummer, i.product_code, i.product_kind,
       i.leveringsvorm, i.aanbieder_agb, i.toewijzingsdatum, i.start_date, i.end_date, i.hours_per_week,
       i.reden_wijziging, coalesce(i.urgentie, 'onbekend') AS urgentie,
       p.replaces, p.replaces IS NOT NULL AS is_herindicatie, p.hours_per_week_before,
       CASE WHEN p.replaces IS NOT NULL THEN date_diff('day', i.toewijzingsdatum, i.start_date) END AS transition_days,
       i.leveringsvorm = 'ZIN' AND p.replaces IS NULL AS is_new_request,
       s.start_date AS care_start_date,
       date_diff('day', i.toewijzingsdatum, s.start_date) AS days_to_start,
       date_diff('year', i.birth_date, i.toewijzingsdatum)
         - CASE WHEN strftime(i.toewijzingsdatum, '%m%d') < strftime(i.birth_date, '%m%d') THEN 1 ELSE 0 END AS age_at_toewijzing,
       CASE WHEN age_at_toewijzing < 65 THEN '0-64' WHEN age_at_toewijzing < 75 THEN '65-74'
            WHEN age_at_toewijzing < 85 THEN '75-84' ELSE '85+' END AS age_band,
       t.stop_date, t.reden AS stop_reden, t.reden_naam AS stop_reden_naam
FROM i
LEFT JOIN prev p USING (gemeente_code, toewijzing_nummer)
LEFT JOIN staging.zorgstarts s USING (gemeente_code, toewijzing_nummer)
LEFT JOIN staging.zorgstops t USING (gemeente_code, toewijzing_nummer)
