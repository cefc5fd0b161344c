-- marts.time_to_start_year: one row per gemeente × year × urgency class (aanbieder_agb 'alle'), plus
-- one per gemeente × year × aanbieder (urgentie 'alle'); 'alle' × 'alle' = the gemeente's year.
-- starts: new ZIN toewijzingen (not herindicaties) whose care started (WMO305) in the year;
-- median_days_to_start / p90_days_to_start: median and 90th percentile of days from
-- toewijzingsdatum to that start; the definition is that of marts.time_to_start, per year.
-- nl: Eén rij per gemeente per jaar per urgentieklasse (aanbieder 'alle'), plus één rij per gemeente per jaar
-- nl: per aanbieder (urgentie 'alle'); de rij met twee keer 'alle' is het hele jaar van de gemeente. Starts:
-- nl: het aantal nieuwe toewijzingen in zorg in natura (geen herindicaties) waarvan de zorg in het jaar is
-- nl: gestart volgens het startbericht van de aanbieder (WMO305). Wachttijd tot start: de mediaan en het 90e
-- nl: percentiel van het aantal dagen tussen toewijzingsdatum en start, met dezelfde definitie als per maand.
-- nl: Toewijzingen zonder gemelde start tellen niet mee.
-- disclosure: audience council
-- disclosure: persons starts
-- disclosure: margin starts over urgentie into marts.time_to_start_year
-- disclosure: margin starts over aanbieder_agb into marts.time_to_start_year
-- disclosure: hidden median_days_to_start, p90_days_to_start with starts
WITH t AS (
  SELECT t.gemeente_code, year(t.care_start_date) AS year, t.urgentie, t.aanbieder_agb, t.days_to_start
  FROM staging.toewijzingen t
  WHERE t.is_new_request AND t.care_start_date IS NOT NULL
    AND t.care_start_date BETWEEN (SELECT data_from FROM staging.data_period) AND (SELECT data_to FROM staging.data_period)
)
SELECT gemeente_code, year::INTEGER AS year, coalesce(urgentie, 'alle') AS urgentie,
       coalesce(aanbieder_agb, 'alle') AS aanbieder_agb,
       count(*)::BIGINT AS starts,
       quantile_cont(days_to_start, 0.5)::DOUBLE AS median_days_to_start,
       quantile_cont(days_to_start, 0.9)::DOUBLE AS p90_days_to_start
FROM t
GROUP BY GROUPING SETS ((gemeente_code, year, urgentie), (gemeente_code, year), (gemeente_code, year, aanbieder_agb))
ORDER BY gemeente_code, year, urgentie, aanbieder_agb
