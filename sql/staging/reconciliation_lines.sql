-- staging.reconciliation_lines: one row per finding on a declaration line (a line can have several).
-- A declaration line is compared with the toewijzing it names (gemeente + ToewijzingNummer); "client" below
-- is the client ON THE LINE unless it says "the toewijzing's client":
--   toewijzing_in_quarantaine  no toewijzing loaded for it, but the municipality's own delivery of it is in
--                        quarantine (meta.quarantine): a data problem of the gemeente, not an aanbieder signal
--   geen_toewijzing      no toewijzing with that number was ever delivered (WMO325 retourcode 9339-like)
--   andere_client        the toewijzing's client is not the client on the line
--   ander_product        product code differs from the toewijzing's product (9340)
--   na_einddatum         the period starts after the last indication of the client on the line ended
--   buiten_periode       the period lies (partly) outside the toewijzing's start..end (9307)
--   bedrag_wijkt_af      a debet line's amount differs more than € 0,01 from volume × contracted tariff (9346)
--   meer_dan_geindiceerd net declared hours in a month exceed the hours indicated for the active days of that
--                        month by more than HBH_VOLUME_TOLERANCE (default 10%)
--   dubbel               the same toewijzing and period declared more than once (net of credit lines)
--   credit_zonder_debet  a credit line (C) without the debet it undoes: no debet line of the same aanbieder,
--                        toewijzing and period with ReferentieNummer = its VorigReferentieNummer (or, when the
--                        export does not keep VorigReferentieNummer, no debet line of that toewijzing and period)
--   dubbel_gecrediteerd  a credit line naming a debet that another credit line names too (credited twice)
-- Kept in staging (line level, with ToewijzingNummer); marts.reconciliation_findings aggregates it.
-- Every finding of a line depends only on lines of the same toewijzing and month (and on the indicaties):
-- incremental: key (gemeente_code, toewijzing_nummer, year, month) over staging.declaraties
WITH ind AS (
  SELECT * FROM staging.indicaties
), quarantined AS (  -- toewijzingen the municipality delivered whose row is in quarantine
  SELECT DISTINCT json_extract_string(record, '$.gemeente_code') AS gemeente_code,
         TRY_CAST(trim(json_extract_string(record, '$.toewijzing_nummer')) AS BIGINT) AS toewijzing_nummer
  FROM meta.quarantine
  WHERE dataset = 'indicaties' AND json_valid(record)
), client_end AS (
  SELECT client_id, max(coalesce(end_date, DATE '9999-12-31')) AS last_end FROM ind GROUP BY ALL
), matched AS (
  SELECT d.*, i.client_id AS ind_client_id, i.product_code AS ind_product_code, i.start_date, i.end_date,
         i.hours_per_week, ce.last_end
  FROM staging.declaraties d
  LEFT JOIN ind i ON i.gemeente_code = d.gemeente_code AND i.toewijzing_nummer = d.toewijzing_nummer
  LEFT JOIN client_end ce ON ce.client_id = d.client_id
), with_q AS (
  SELECT m.*, q.toewijzing_nummer IS NOT NULL AS in_quarantine
  FROM matched m
  LEFT JOIN quarantined q ON q.gemeente_code = m.gemeente_code AND q.toewijzing_nummer = m.toewijzing_nummer
), line_level AS (
  SELECT *, unnest(list_filter([
      CASE WHEN ind_client_id IS NULL AND in_quarantine THEN 'toewijzing_in_quarantaine' END,
      CASE WHEN ind_client_id IS NULL AND NOT in_quarantine THEN 'geen_toewijzing' END,
      CASE WHEN ind_client_id IS NOT NULL AND ind_client_id <> client_id THEN 'andere_client' END,
      CASE WHEN ind_client_id IS NOT NULL AND product_code <> ind_product_code THEN 'ander_product' END,
      CASE WHEN ind_client_id IS NOT NULL AND period_start > last_end THEN 'na_einddatum' END,
      CASE WHEN ind_client_id IS NOT NULL AND NOT (period_start > coalesce(last_end, DATE '9999-12-31'))
                AND (period_start < start_date OR period_end > coalesce(end_date, DATE '9999-12-31')) THEN 'buiten_periode' END,
      CASE WHEN debet_credit = 'D' AND abs(declared_eur - cost_eur) > 0.01 THEN 'bedrag_wijkt_af' END
    ], lambda x: x IS NOT NULL)) AS finding_code
  FROM with_q
), month_volume AS (
  SELECT d.aanbieder_agb, d.gemeente_code, d.toewijzing_nummer, d.year, d.month,
         sum(d.hours) AS declared_hours,
         any_value(i.hours_per_week * (date_diff('day',
             greatest(i.start_date, make_date(d.year, d.month, 1)),
             least(coalesce(i.end_date, DATE '9999-12-31'), last_day(make_date(d.year, d.month, 1)))) + 1) / 7.0) AS indicated_hours
  FROM staging.declaraties d
  JOIN ind i ON i.gemeente_code = d.gemeente_code AND i.toewijzing_nummer = d.toewijzing_nummer
  GROUP BY ALL
), volume_findings AS (
  SELECT d.*, 'meer_dan_geindiceerd' AS finding_code
  FROM staging.declaraties d
  JOIN month_volume v USING (aanbieder_agb, gemeente_code, toewijzing_nummer, year, month)
  WHERE d.debet_credit = 'D' AND v.indicated_hours > 0
    AND v.declared_hours > v.indicated_hours * (1 + getvariable('volume_tolerance'))
), duplicate_findings AS (
  SELECT d.*, 'dubbel' AS finding_code
  FROM staging.declaraties d
  JOIN (
    SELECT aanbieder_agb, gemeente_code, toewijzing_nummer, period_start, period_end
    FROM staging.declaraties
    GROUP BY ALL
    HAVING count(*) FILTER (WHERE debet_credit = 'D') - count(*) FILTER (WHERE debet_credit = 'C') > 1
  ) x USING (aanbieder_agb, gemeente_code, toewijzing_nummer, period_start, period_end)
  WHERE d.debet_credit = 'D'
), credit_findings AS (
  SELECT c.*, 'credit_zonder_debet' AS finding_code
  FROM staging.declaraties c
  WHERE c.debet_credit = 'C' AND NOT EXISTS (
    SELECT 1 FROM staging.declaraties d
    WHERE d.debet_credit = 'D' AND d.aanbieder_agb = c.aanbieder_agb AND d.gemeente_code = c.gemeente_code
      AND d.toewijzing_nummer = c.toewijzing_nummer AND d.year = c.year AND d.month = c.month
      AND d.period_start = c.period_start AND d.period_end = c.period_end
      AND (c.vorig_referentie_nummer IS NULL OR d.referentie_nummer = c.vorig_referentie_nummer))
  UNION ALL
  SELECT c.*, 'dubbel_gecrediteerd' AS finding_code
  FROM staging.declaraties c
  WHERE c.debet_credit = 'C' AND c.vorig_referentie_nummer IS NOT NULL
  QUALIFY count(*) OVER (PARTITION BY c.aanbieder_agb, c.gemeente_code, c.toewijzing_nummer, c.year, c.month,
                                      c.vorig_referentie_nummer) > 1
)
SELECT gemeente_code, aanbieder_agb, declaratie_nummer, referentie_nummer, toewijzing_nummer, product_code,
       period_start, period_end, year, month, debet_credit, hours, declared_eur, finding_code, source_file, source_line
FROM line_level
UNION ALL BY NAME
SELECT gemeente_code, aanbieder_agb, declaratie_nummer, referentie_nummer, toewijzing_nummer, product_code,
       period_start, period_end, year, month, debet_credit, hours, declared_eur, finding_code, source_file, source_line
FROM volume_findings
UNION ALL BY NAME
SELECT gemeente_code, aanbieder_agb, declaratie_nummer, referentie_nummer, toewijzing_nummer, product_code,
       period_start, period_end, year, month, debet_credit, hours, declared_eur, finding_code, source_file, source_line
FROM duplicate_findings
UNION ALL BY NAME
SELECT gemeente_code, aanbieder_agb, declaratie_nummer, referentie_nummer, toewijzing_nummer, product_code,
       period_start, period_end, year, month, debet_credit, hours, declared_eur, finding_code, source_file, source_line
FROM credit_findings
