-- staging.client_years: one row per client per year in which the client had at least one active
-- HbH indication (ingangsdatum ≤ 31 Dec and einddatum empty or ≥ 1 Jan). This is the definition of
-- "cliënt" on every page, in line with CBS's Wmo-cliënt (a person with a maatwerkvoorziening).
-- gemeente and wijk: those of the client's indication that started last among the active ones.
-- age: completed years on 1 January of the year; age_band 0-64, 65-74, 75-84, 85+.
-- is_new: no active indication in the previous year (NULL in the first year of the data period).
WITH years AS (
  SELECT range AS year
  FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), active AS (
  SELECT i.client_id, y.year,
         arg_max(i.gemeente_code, i.start_date) AS gemeente_code,
         arg_max(i.wijk_code, i.start_date) AS wijk_code,
         arg_max(i.birth_date, i.start_date) AS birth_date,
         bool_or(i.leveringsvorm = 'PGB') AS has_pgb,
         bool_or(i.leveringsvorm = 'ZIN') AS has_zin
  FROM staging.indicaties i
  JOIN years y
    ON i.start_date <= make_date(y.year, 12, 31)
   AND coalesce(i.end_date, DATE '9999-12-31') >= make_date(y.year, 1, 1)
  GROUP BY i.client_id, y.year
)
SELECT a.*,
       a.year - year(a.birth_date) - CASE WHEN month(a.birth_date) = 1 AND day(a.birth_date) = 1 THEN 0 ELSE 1 END AS age,
       CASE WHEN age < 65 THEN '0-64' WHEN age < 75 THEN '65-74' WHEN age < 85 THEN '75-84' ELSE '85+' END AS age_band,
       CASE WHEN a.year = (SELECT min(year) FROM years) THEN NULL ELSE prev.client_id IS NULL END AS is_new
FROM active a
LEFT JOIN active prev ON prev.client_id = a.client_id AND prev.year = a.year - 1
