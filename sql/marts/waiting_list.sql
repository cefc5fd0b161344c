-- marts.waiting_list: one row per gemeente × month × urgency class × age band (analysts).
-- On the last day of each month: waiting = new ZIN toewijzingen (not herindicaties, see
-- staging.toewijzingen) issued at least N days earlier (N = HBH_WAITING_DAYS, default 14) whose care
-- had not started by then (no WMO305 start, or a later one) and that had not ended; median_days_waiting:
-- median days since the toewijzingsdatum of those waiting. age_band: age at the toewijzingsdatum.
-- waiting_days = the N used.
-- nl: Eén rij per gemeente per maand per urgentieklasse per leeftijdsgroep (voor analisten). Wachtend: op de
-- nl: laatste dag van de maand het aantal nieuwe toewijzingen in zorg in natura (geen herindicaties) die
-- nl: minstens N dagen eerder zijn afgegeven (standaard 14), waarvan de zorg toen nog niet was gestart (geen
-- nl: startbericht WMO305 of een latere start) en die nog niet waren beëindigd. Wie al hulp krijgt terwijl de
-- nl: aanbieder de start niet heeft gemeld, telt dus ook als wachtend; alleen toewijzingen van binnen de
-- nl: dataperiode tellen mee. Mediane wachttijd: de mediaan van het aantal dagen sinds de toewijzingsdatum
-- nl: van wie wacht; de leeftijdsgroep is die op de toewijzingsdatum.
-- disclosure: audience analyst
-- disclosure: persons waiting
-- disclosure: hidden median_days_waiting with waiting
WITH months AS (
  SELECT (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS month_end
  FROM staging.data_period,
       range(date_trunc('month', data_from), date_trunc('month', data_to) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
), open AS (
  SELECT t.gemeente_code, m.month_end, t.urgentie, t.age_band,
         date_diff('day', t.toewijzingsdatum, m.month_end) AS days_waiting
  FROM staging.toewijzingen t
  JOIN months m
    ON t.toewijzingsdatum <= m.month_end - to_days(getvariable('waiting_days')::INTEGER)
   AND t.toewijzingsdatum >= (SELECT data_from FROM staging.data_period)
   AND (t.care_start_date IS NULL OR t.care_start_date > m.month_end)
   AND coalesce(t.end_date, DATE '9999-12-31') > m.month_end
  WHERE t.is_new_request
)
SELECT gemeente_code, year(month_end)::INTEGER AS year, month(month_end)::INTEGER AS month, month_end,
       urgentie, age_band, count(*)::BIGINT AS waiting,
       quantile_cont(days_waiting, 0.5)::DOUBLE AS median_days_waiting,
       getvariable('waiting_days')::INTEGER AS waiting_days
FROM open
WHERE month_end <= (SELECT data_to FROM staging.data_period)
GROUP BY ALL
ORDER BY gemeente_code, month_end, urgentie, age_band
