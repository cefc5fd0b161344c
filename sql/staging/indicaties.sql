-- staging.indicaties: one row per indicatie (toegewezen product), identified by gemeente and
-- ToewijzingNummer; a later delivery of the same toewijzing replaces the earlier one (later: the file
-- first delivered later, by meta.delivery_order from the ingestion ledger; the file name only breaks ties).
-- hours_per_week normalises every volume to hours per week: minutes (eenheid 01) / 60 or hours
-- (eenheid 04); per maand (frequentie 4) × 12 / 52; for products given every other week
-- (weeks_per_visit = 2 in the catalogue; iWmo 3.2 has no code for it) the volume is per two weeks,
-- so it is divided by 2.
-- wijk_code: as delivered; when empty (iWmo WMO301 carries no address) the wijk of the client
-- registration (raw.clienten) valid at the indicatie's start: the latest geldig_vanaf on or
-- before the ingangsdatum, else the latest registration of that client.
-- Source: raw.indicaties (contract data_contracts/indicaties.yaml), raw.clienten
-- (data_contracts/clienten.yaml), staging.producten.
WITH latest AS (
  SELECT *
  FROM raw.indicaties
  QUALIFY row_number() OVER (PARTITION BY gemeente_code, toewijzing_nummer ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.indicaties.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
), registration AS (
  SELECT client_id, geldig_vanaf, wijk_code
  FROM raw.clienten
  QUALIFY row_number() OVER (PARTITION BY client_id, geldig_vanaf ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.clienten.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
), registered_wijk AS (
  SELECT l.gemeente_code, l.toewijzing_nummer, r.wijk_code
  FROM latest l
  JOIN registration r ON r.client_id = l.client_id
  WHERE l.wijk_code IS NULL
  QUALIFY row_number() OVER (PARTITION BY l.gemeente_code, l.toewijzing_nummer
                             ORDER BY (r.geldig_vanaf <= l.ingangsdatum) DESC, r.geldig_vanaf DESC) = 1
), product AS (
  SELECT gemeente_code, product_code, arg_max(weeks_per_visit, year) AS weeks_per_visit,
         arg_max(product_kind, year) AS product_kind
  FROM staging.producten
  GROUP BY ALL
)
SELECT i.client_id, i.geboortedatum AS birth_date, i.gemeente_code,
       coalesce(i.wijk_code, rw.wijk_code) AS wijk_code, i.toewijzing_nummer,
       i.product_code, coalesce(p.product_kind, 'onbekend') AS product_kind, i.leveringsvorm,
       i.aanbieder_agb, i.toewijzingsdatum, i.ingangsdatum AS start_date, i.einddatum AS end_date,
       i.volume, i.eenheid, i.frequentie, i.reden_wijziging, i.urgentie,
       (CASE i.eenheid WHEN '04' THEN i.volume * 60.0 ELSE i.volume END) / 60.0
         * (CASE i.frequentie WHEN '4' THEN 12.0 / 52.0 ELSE 1.0 END)
         / coalesce(p.weeks_per_visit, 1) AS hours_per_week,
       i.source_file, i.source_line
FROM latest i
LEFT JOIN product p USING (gemeente_code, product_code)
LEFT JOIN registered_wijk rw USING (gemeente_code, toewijzing_nummer)
