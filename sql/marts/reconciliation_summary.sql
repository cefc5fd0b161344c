-- marts.reconciliation_summary: per gemeente × aanbieder × kind of finding over the whole data period:
-- lines with that finding, their hours and amount, and share_of_lines = those lines / all declaration lines
-- of the aanbieder in the gemeente (staging.declaraties). Definitions in marts.reconciliation_findings.
-- nl: Eén rij per gemeente per aanbieder per soort bevinding, over de hele dataperiode: het aantal
-- nl: declaratieregels met die bevinding, hun uren en hun bedrag. Aandeel regels: die regels als deel van
-- nl: alle declaratieregels van de aanbieder in de gemeente. De soorten en definities zijn die van de
-- nl: bevindingen per maand; een bevinding is een reden om te kijken, geen oordeel.
-- disclosure: audience analyst
WITH totals AS (
  SELECT gemeente_code, aanbieder_agb, count(*) AS all_lines, sum(declared_eur) AS all_amount_eur
  FROM staging.declaraties GROUP BY ALL
)
SELECT f.gemeente_code, f.aanbieder_agb, any_value(f.aanbieder_name) AS aanbieder_name, f.finding_code,
       any_value(f.finding) AS finding, sum(f.lines)::BIGINT AS lines, sum(f.hours)::DOUBLE AS hours,
       sum(f.amount_eur)::DECIMAL(18, 2) AS amount_eur,
       (sum(f.lines) / any_value(t.all_lines))::DOUBLE AS share_of_lines,
       any_value(t.all_lines)::BIGINT AS all_lines, any_value(t.all_amount_eur)::DECIMAL(18, 2) AS all_amount_eur
FROM marts.reconciliation_findings f
JOIN totals t USING (gemeente_code, aanbieder_agb)
GROUP BY f.gemeente_code, f.aanbieder_agb, f.finding_code
ORDER BY gemeente_code, aanbieder_agb, finding_code
