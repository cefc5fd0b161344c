-- marts.time_to_start: one row per aanbieder × wijk × month in which new care started.
-- starts: new ZIN toewijzingen (not herindicaties, see staging.toewijzingen) whose care started
--   (WMO305 begindatum) in the month; median_days_to_start / p90_days_to_start: median and 90th
--   percentile of days from toewijzingsdatum to that start; mean_days_to_start: the mean.
-- nl: Eén rij per aanbieder per wijk per maand waarin nieuwe zorg is gestart. Starts: het aantal nieuwe
-- nl: toewijzingen in zorg in natura (geen herindicaties) waarvan de aanbieder de start van de zorg in die
-- nl: maand heeft gemeld (iWmo-bericht WMO305). Wachttijd tot start: de mediaan, het 90e percentiel en het
-- nl: gemiddelde van het aantal dagen tussen de toewijzingsdatum en die start. Toewijzingen waarvan (nog)
-- nl: geen start is gemeld, tellen hier niet mee (zie de wachtlijst).
-- disclosure: audience analyst
-- disclosure: persons starts
-- disclosure: hidden median_days_to_start, p90_days_to_start, mean_days_to_start with starts
SELECT t.gemeente_code, t.wijk_code, w.wijk_name, t.aanbieder_agb,
       year(t.care_start_date)::INTEGER AS year, month(t.care_start_date)::INTEGER AS month,
       date_trunc('month', t.care_start_date)::DATE AS month_start,
       count(*)::BIGINT AS starts,
       quantile_cont(t.days_to_start, 0.5)::DOUBLE AS median_days_to_start,
       quantile_cont(t.days_to_start, 0.9)::DOUBLE AS p90_days_to_start,
       avg(t.days_to_start)::DOUBLE AS mean_days_to_start
FROM staging.toewijzingen t
LEFT JOIN staging.wijken w USING (wijk_code)
WHERE t.is_new_request AND t.care_start_date IS NOT NULL
  AND t.care_start_date BETWEEN (SELECT data_from FROM staging.data_period) AND (SELECT data_to FROM staging.data_period)
GROUP BY ALL
ORDER BY t.gemeente_code, t.wijk_code, t.aanbieder_agb, month_start
