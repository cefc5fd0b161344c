-- staging.data_period: the period the data covers (one row): from the first to the last day of
-- declared care, or, without declarations, of the indications' start dates. Years outside it are
-- not reported.
SELECT coalesce((SELECT min(period_start) FROM staging.declaraties), (SELECT min(start_date) FROM staging.indicaties)) AS data_from,
       coalesce((SELECT max(period_end) FROM staging.declaraties), (SELECT max(start_date) FROM staging.indicaties)) AS data_to
