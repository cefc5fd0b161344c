-- staging.zorgstarts: one row per started toegewezen product (iWmo WMO305 start zorg, CSV export),
-- identified by gemeente and ToewijzingNummer; the latest delivery of a start wins and a start
-- withdrawn with status_aanlevering 3 (verwijderen) is dropped. start_date = begindatum.
-- Source: raw.zorgstarts (contract data_contracts/zorgstarts.yaml).
WITH latest AS (
  SELECT *
  FROM raw.zorgstarts
  QUALIFY row_number() OVER (PARTITION BY gemeente_code, toewijzing_nummer ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.zorgstarts.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
)
SELECT client_id, gemeente_code, aanbieder_agb, toewijzing_nummer, product_code, begindatum AS start_date,
       source_file, source_line
FROM latest
WHERE coalesce(status_aanlevering, '1') <> '3'
