-- staging.declaraties: one row per declared prestatie (aanbieder × ReferentieNummer; a later
-- delivery of the same line replaces the earlier one). Credit lines (C) count negative, so a
-- correction pair nets out.
-- hours: the geleverd volume in hours where the unit is time (eenheid 01 minuut / 60, 04 uur,
--   14 etmaal × 24, 16 dagdeel × 4); empty for stuks (82, 84) and euro's (83).
-- cost_eur: hours × the contracted tariff of that product, gemeente and year, as DECIMAL(18,6) (a minute
--   tariff has no exact cent value; six decimals per line keep every sum exact and the same in every run);
--   for a line in stuks or euro's the declared amount. declared_eur: the declared amount (IngediendBedrag),
--   DECIMAL(18,2) as delivered. Marts keep the sums exact (DECIMAL(18,6)); pages round them for display.
-- vorig_referentie_nummer: on a credit line, the ReferentieNummer of the debet it undoes (WMO323);
--   declaratie_totaal: the WMO323 header's TotaalIngediendBedrag (signed), on every line of the message.
-- Source: raw.declaraties (contract data_contracts/declaraties.yaml), staging.producten.
-- incremental: key (aanbieder_agb, referentie_nummer) over raw.declaraties
WITH repeated AS (  -- the few lines delivered more than once: only these need ranking
  SELECT aanbieder_agb, referentie_nummer FROM raw.declaraties GROUP BY ALL HAVING count(*) > 1
), latest AS (
  SELECT * FROM raw.declaraties ANTI JOIN repeated USING (aanbieder_agb, referentie_nummer)
  UNION ALL
  SELECT * FROM raw.declaraties SEMI JOIN repeated USING (aanbieder_agb, referentie_nummer)
  QUALIFY row_number() OVER (PARTITION BY aanbieder_agb, referentie_nummer ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.declaraties.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
), typed AS (
  SELECT *, CASE debet_credit WHEN 'C' THEN -1 ELSE 1 END AS sign,
         CASE eenheid WHEN '01' THEN 1.0 / 60.0 WHEN '04' THEN 1.0 WHEN '14' THEN 24.0 WHEN '16' THEN 4.0 END AS unit_hours
  FROM latest
)
SELECT d.client_id, d.gemeente_code, d.aanbieder_agb, d.declaratie_nummer, d.referentie_nummer,
       d.vorig_referentie_nummer, d.toewijzing_nummer, d.product_code, d.begindatum AS period_start,
       d.einddatum AS period_end, year(d.begindatum) AS year, month(d.begindatum) AS month, d.debet_credit,
       d.eenheid, d.sign * d.geleverd_volume * d.unit_hours AS hours,
       (d.sign * d.bedrag)::DECIMAL(18, 2) AS declared_eur,
       p.tariff_per_hour::DECIMAL(18, 2) AS tariff_per_hour,
       CASE WHEN d.unit_hours IS NULL THEN d.sign * d.bedrag
            ELSE d.sign * round(d.geleverd_volume * d.unit_hours * p.tariff_per_hour, 6)
       END::DECIMAL(18, 6) AS cost_eur,
       d.declaratie_totaal, d.source_file, d.source_line
FROM typed d
LEFT JOIN staging.producten p
  ON p.gemeente_code = d.gemeente_code AND p.product_code = d.product_code AND p.year = year(d.begindatum)
