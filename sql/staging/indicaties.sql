-- staging.indicaties: one row per indicatie (toegewezen product), identified by gemeente and
-- ToewijzingNummer; a later delivery of the same toewijzing replaces the earlier one (later: the file
-- first delivered later, by meta.delivery_order from the ingestion ledger; the file name only breaks ties).
-- hours_per_week normalises every Omvang whose unit is time to hours per week (iWmo 3.2 codes):
--   unit in hours: eenheid 01 minuut = 1/60, 04 uur = 1, 14 etmaal = 24, 16 dagdeel = 4;
--   frequentie 1 per dag × 7, 2 per week × 1, 4 per maand × 12 / 52, 6 totaal binnen de
--   geldigheidsduur ÷ the weeks of validity ((einddatum − ingangsdatum + 1) / 7);
--   for a weekly volume (frequentie 2) of a product given every other week (weeks_per_visit = 2 in
--   the catalogue; iWmo 3.2 has no code for it) the volume is per two weeks, so it is divided by 2.
-- no_hours_reason: why a toewijzing has no hours_per_week (NULL when it has): omvang in euro's
--   (eenheid 83), omvang in stuks (82, 84), geen omvang (budget only), op categorieniveau (no product
--   code), totaal zonder einddatum (frequentie 6 without an end). Such toewijzingen count their
--   clients and (through the declaraties) their cost, and are left out of every hour figure.
-- budget: the toewijzing's iWmo Budget in euro (DECIMAL, exact), empty when not given.
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
       i.volume, i.eenheid, i.frequentie, i.budget, i.reden_wijziging, i.urgentie,
       CASE
         WHEN i.product_code IS NULL THEN 'toewijzing op categorieniveau (geen productcode)'
         WHEN i.volume IS NULL OR i.eenheid IS NULL OR i.frequentie IS NULL
           THEN CASE WHEN i.budget IS NOT NULL THEN 'geen omvang (alleen budget)' ELSE 'geen omvang' END
         WHEN i.eenheid = '83' THEN 'omvang in euro''s'
         WHEN i.eenheid IN ('82', '84') THEN 'omvang in stuks'
         WHEN i.frequentie = '6' AND i.einddatum IS NULL THEN 'totaal zonder einddatum'
       END AS no_hours_reason,
       CASE WHEN no_hours_reason IS NULL THEN
         i.volume
           * CASE i.eenheid WHEN '01' THEN 1.0 / 60.0 WHEN '04' THEN 1.0 WHEN '14' THEN 24.0 WHEN '16' THEN 4.0 END
           * CASE i.frequentie WHEN '1' THEN 7.0 WHEN '2' THEN 1.0 WHEN '4' THEN 12.0 / 52.0
                 WHEN '6' THEN 7.0 / (date_diff('day', i.ingangsdatum, i.einddatum) + 1) END
           / CASE WHEN i.frequentie = '2' THEN coalesce(p.weeks_per_visit, 1) ELSE 1 END
       END AS hours_per_week,
       i.source_file, i.source_line
FROM latest i
LEFT JOIN product p USING (gemeente_code, product_code)
LEFT JOIN registered_wijk rw USING (gemeente_code, toewijzing_nummer)
