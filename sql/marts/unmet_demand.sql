-- marts.unmet_demand: one row per wijk × aanbieder × month of the data period (zorg in natura only).
-- indicated_hours: Σ over the ZIN indicaties of the wijk with that aanbieder of hours per week ×
--   days active in the month / 7 (staging.indicaties).
-- delivered_hours: Σ of declared hours (credit lines negative) of declaration lines whose period
--   starts in the month, in the wijk of the indication they were declared on.
-- share_delivered = delivered_hours / indicated_hours; gap_hours = indicated − delivered.
-- gap_cost_eur: Σ over products of (indicated − delivered hours) × that product's contracted tariff
--   of the gemeente and year: what the undelivered help would have cost — the budget risk if the
--   staff shortage ends.
-- nl: Eén rij per wijk per aanbieder per maand van de dataperiode, alleen zorg in natura (ZIN). Geïndiceerde
-- nl: uren: de uren per week van de ZIN-indicaties in de wijk bij die aanbieder × het aantal dagen dat ze in
-- nl: de maand liepen / 7. Geleverde uren: de gedeclareerde uren (creditregels negatief) van declaratieregels
-- nl: waarvan de periode in de maand begint, in de wijk van de indicatie waarop gedeclareerd is. Aandeel
-- nl: geleverd = geleverde / geïndiceerde uren; tekort = geïndiceerde − geleverde uren; kosten van het tekort
-- nl: = het tekort per product × het gecontracteerde tarief van dat product in die gemeente en dat jaar: wat
-- nl: de niet geleverde hulp had gekost, het budgetrisico als het personeelstekort voorbij is.
-- disclosure: audience unpublished (wijk × aanbieder × month hours without a client count; published as marts.delivery_year)
WITH months AS (
  SELECT m::DATE AS month_start, (m + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS month_end
  FROM staging.data_period,
       range(date_trunc('month', data_from), date_trunc('month', data_to) + INTERVAL 1 MONTH, INTERVAL 1 MONTH) t(m)
), ind AS (
  SELECT i.gemeente_code, i.wijk_code, i.aanbieder_agb, i.product_code, m.month_start,
         sum(i.hours_per_week * (date_diff('day', greatest(i.start_date, m.month_start),
                                            least(coalesce(i.end_date, DATE '9999-12-31'), m.month_end)) + 1) / 7.0) AS hours
  FROM staging.indicaties i
  JOIN months m ON i.start_date <= m.month_end AND coalesce(i.end_date, DATE '9999-12-31') >= m.month_start
  WHERE i.leveringsvorm = 'ZIN'
  GROUP BY ALL
), dec AS (
  SELECT i.gemeente_code, i.wijk_code, d.aanbieder_agb, d.product_code,
         date_trunc('month', d.period_start)::DATE AS month_start, sum(d.hours) AS hours
  FROM staging.declaraties d
  JOIN staging.indicaties i USING (gemeente_code, toewijzing_nummer)
  GROUP BY ALL
), cell AS (
  SELECT coalesce(ind.gemeente_code, dec.gemeente_code) AS gemeente_code,
         coalesce(ind.wijk_code, dec.wijk_code) AS wijk_code,
         coalesce(ind.aanbieder_agb, dec.aanbieder_agb) AS aanbieder_agb,
         coalesce(ind.product_code, dec.product_code) AS product_code,
         coalesce(ind.month_start, dec.month_start) AS month_start,
         coalesce(ind.hours, 0) AS indicated_hours, coalesce(dec.hours, 0) AS delivered_hours
  FROM ind FULL JOIN dec USING (gemeente_code, wijk_code, aanbieder_agb, product_code, month_start)
)
SELECT c.gemeente_code, w.wijk_name, c.wijk_code, c.aanbieder_agb, year(c.month_start)::INTEGER AS year,
       month(c.month_start)::INTEGER AS month, c.month_start,
       sum(c.indicated_hours)::DOUBLE AS indicated_hours, sum(c.delivered_hours)::DOUBLE AS delivered_hours,
       (sum(c.delivered_hours) / nullif(sum(c.indicated_hours), 0))::DOUBLE AS share_delivered,
       (sum(c.indicated_hours) - sum(c.delivered_hours))::DOUBLE AS gap_hours,
       sum((c.indicated_hours - c.delivered_hours) * p.tariff_per_hour)::DOUBLE AS gap_cost_eur
FROM cell c
LEFT JOIN staging.wijken w USING (wijk_code)
LEFT JOIN staging.producten p ON p.gemeente_code = c.gemeente_code AND p.product_code = c.product_code
                             AND p.year = year(c.month_start)
WHERE c.month_start BETWEEN (SELECT date_trunc('month', data_from) FROM staging.data_period)
                        AND (SELECT data_to FROM staging.data_period)
GROUP BY ALL
ORDER BY c.gemeente_code, c.wijk_code, c.aanbieder_agb, c.month_start
