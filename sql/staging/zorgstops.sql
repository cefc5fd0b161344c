-- staging.zorgstops: one row per ended toegewezen product (iWmo WMO307 stop zorg, CSV export),
-- identified by gemeente and ToewijzingNummer; the latest delivery wins and a stop withdrawn with
-- status_aanlevering 3 is dropped. stop_date = einddatum; reden = iWmo RedenBeeindiging code with
-- its iWmo 3.2 description (reden_naam).
-- Source: raw.zorgstops (contract data_contracts/zorgstops.yaml).
WITH latest AS (
  SELECT *
  FROM raw.zorgstops
  QUALIFY row_number() OVER (PARTITION BY gemeente_code, toewijzing_nummer ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.zorgstops.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
)
SELECT client_id, gemeente_code, aanbieder_agb, toewijzing_nummer, product_code, begindatum AS start_date,
       einddatum AS stop_date, reden_beeindiging AS reden,
       CASE reden_beeindiging
         WHEN '02' THEN 'Overlijden'
         WHEN '19' THEN 'Levering volgens plan beëindigd'
         WHEN '20' THEN 'Levering tijdelijk beëindigd'
         WHEN '21' THEN 'Eenzijdig door cliënt beëindigd'
         WHEN '22' THEN 'Eenzijdig door aanbieder beëindigd'
         WHEN '23' THEN 'In overeenstemming voortijdig beëindigd'
         WHEN '31' THEN 'Verhuizing naar andere gemeente'
         WHEN '36' THEN 'Geïnitieerd door de gemeente'
         WHEN '37' THEN 'In verband met wijzigingsverzoek'
         WHEN '38' THEN 'Overstap naar andere aanbieder'
         WHEN '39' THEN 'Uitstroom naar ander domein'
       END AS reden_naam,
       source_file, source_line
FROM latest
WHERE coalesce(status_aanlevering, '1') <> '3'
