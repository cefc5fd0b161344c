-- staging.declaraties: one row per declared prestatie (aanbieder × ReferentieNummer; a later
-- delivery of the same line replaces the earlier one). Credit lines (C) count negative, so a
-- correction pair nets out. hours = geleverd volume in hours; cost_eur = hours × the contracted
-- tariff of that product, gemeente and year (the declared amount is kept apart as declared_eur).
-- Source: raw.declaraties (contract data_contracts/declaraties.yaml), staging.producten.
-- incremental: key (aanbieder_agb, referentie_nummer) over raw.declaraties
WITH repeated AS (  -- the few lines delivered more than once: only these need ranking
  SELECT aanbieder_agb, referentie_nummer FROM raw.declaraties GROUP BY ALL HAVING count(*) > 1
), latest AS (
  SELECT * FROM raw.declaraties ANTI JOIN repeated USING (aanbieder_agb, referentie_nummer)
  UNION ALL
  SELECT * FROM raw.declaraties SEMI JOIN repeated USING (aanbieder_agb, referentie_nummer)
  QUALIFY row_number() OVER (PARTITION BY aanbieder_agb, referentie_nummer ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.declaraties.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
)
SELECT d.client_id, d.gemeente_code, d.aanbieder_agb, d.declaratie_nummer, d.referentie_nummer,
       d.toewijzing_nummer, d.product_code, d.begindatum AS period_start, d.einddatum AS period_end,
       year(d.begindatum) AS year, month(d.begindatum) AS month, d.debet_credit,
       (CASE d.debet_credit WHEN 'C' THEN -1 ELSE 1 END)
         * (CASE d.eenheid WHEN '04' THEN d.geleverd_volume * 60.0 ELSE d.geleverd_volume END) / 60.0 AS hours,
       (CASE d.debet_credit WHEN 'C' THEN -1 ELSE 1 END) * d.bedrag AS declared_eur,
       p.tariff_per_hour,
       (CASE d.debet_credit WHEN 'C' THEN -1 ELSE 1 END)
         * (CASE d.eenheid WHEN '04' THEN d.geleverd_volume * 60.0 ELSE d.geleverd_volume END) / 60.0
         * p.tariff_per_hour AS cost_eur,
       d.source_file, d.source_line
FROM latest d
LEFT JOIN staging.producten p
  ON p.gemeente_code = d.gemeente_code AND p.product_code = d.product_code AND p.year = year(d.begindatum)
