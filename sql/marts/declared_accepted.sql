-- marts.declared_accepted: what the aanbieders declared and what the gemeente accepted, one row per gemeente ×
-- aanbieder × year (the year of the prestatie's period, as in staging.declaraties).
-- declared_lines, declared_hours, declared_eur: every declaration line of staging.declaraties (credit lines count
--   negative; declared_eur is the IngediendBedrag, DECIMAL, the same sum as all_amount_eur of
--   marts.reconciliation_summary).
-- rejected_lines, rejected_hours, rejected_eur: the lines the gemeente did not grant: the prestatie (aanbieder ×
--   ReferentieNummer) is listed in the gemeente's declaratie-antwoord (WMO325, raw.declaratie_antwoorden) with a
--   retourcode other than 0200. accepted_lines, accepted_hours, accepted_eur = declared − rejected: in iWmo 3.x the
--   answer lists only the prestaties not granted in full, so a line that no answer rejects counts as toegekend.
-- answers_loaded: the data hold declaratie-antwoorden of this gemeente to this aanbieder on prestaties of this year
--   (at least one answered prestatie); where not, rejected_* and accepted_* are NULL: not known, not zero (a CSV
--   export of declaraties carries no answers, and an answer that grants everything lists no prestatie).
-- An answer on a prestatie that was not loaded (e.g. quarantined) is in marts.reconciliation_findings only.
-- nl: Gedeclareerd en toegekend: per gemeente, aanbieder en jaar het aantal declaratieregels, de uren en het
-- nl: bedrag dat de aanbieder declareerde (creditregels tellen negatief), wat de gemeente daarvan afwees en wat zij
-- nl: toekende. Afgewezen = de regel staat in het declaratie-antwoord van de gemeente (WMO325) met een andere
-- nl: retourcode dan 0200. Toegekend = gedeclareerd min afgewezen: het antwoord noemt alleen de regels die niet
-- nl: (helemaal) zijn toegekend. Staan er van de gemeente aan de aanbieder over dat jaar geen declaratie-antwoorden
-- nl: in de gegevens, dan is afgewezen en toegekend onbekend (leeg), niet nul.
-- disclosure: audience analyst
WITH rejected AS (  -- answered prestaties with a retourcode other than 0200 (0200 = toegekend)
  SELECT DISTINCT aanbieder_agb, referentie_nummer
  FROM raw.declaratie_antwoorden
  WHERE trim(replace(retourcodes, '0200', '')) <> ''  -- codes are 4 digits apart: what is left is another code
), answering AS (  -- gemeente × aanbieder × year with answers: the year of the answered line, else of the answer's period
  SELECT DISTINCT a.gemeente_code, a.aanbieder_agb, coalesce(d.year, year(a.begindatum)) AS year
  FROM raw.declaratie_antwoorden a
  LEFT JOIN staging.declaraties d USING (aanbieder_agb, referentie_nummer)
), names AS (
  SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken
), lines AS (
  SELECT d.gemeente_code, d.aanbieder_agb, d.year, d.hours, d.declared_eur,
         r.referentie_nummer IS NOT NULL AS is_rejected, w.year IS NOT NULL AS answers_loaded
  FROM staging.declaraties d
  LEFT JOIN rejected r USING (aanbieder_agb, referentie_nummer)
  LEFT JOIN answering w ON w.gemeente_code = d.gemeente_code AND w.aanbieder_agb = d.aanbieder_agb AND w.year = d.year
), sums AS (
  SELECT gemeente_code, aanbieder_agb, year, answers_loaded,
         count(*) AS declared_lines, sum(hours) AS declared_hours, sum(declared_eur) AS declared_eur,
         count(*) FILTER (WHERE is_rejected) AS rejected_lines,
         coalesce(sum(hours) FILTER (WHERE is_rejected), 0) AS rejected_hours,
         coalesce(sum(declared_eur) FILTER (WHERE is_rejected), 0) AS rejected_eur
  FROM lines GROUP BY ALL
)
SELECT s.gemeente_code, coalesce(n.gemeente_name, s.gemeente_code) AS gemeente_name, s.aanbieder_agb,
       coalesce(a.aanbieder_name, s.aanbieder_agb) AS aanbieder_name, s.year::INTEGER AS year, s.answers_loaded,
       s.declared_lines::BIGINT AS declared_lines, s.declared_hours::DOUBLE AS declared_hours,
       s.declared_eur::DECIMAL(18, 2) AS declared_eur,
       CASE WHEN s.answers_loaded THEN s.rejected_lines END::BIGINT AS rejected_lines,
       CASE WHEN s.answers_loaded THEN s.rejected_hours END::DOUBLE AS rejected_hours,
       CASE WHEN s.answers_loaded THEN s.rejected_eur END::DECIMAL(18, 2) AS rejected_eur,
       CASE WHEN s.answers_loaded THEN s.declared_lines - s.rejected_lines END::BIGINT AS accepted_lines,
       CASE WHEN s.answers_loaded THEN s.declared_hours - s.rejected_hours END::DOUBLE AS accepted_hours,
       CASE WHEN s.answers_loaded THEN s.declared_eur - s.rejected_eur END::DECIMAL(18, 2) AS accepted_eur
FROM sums s
LEFT JOIN names n USING (gemeente_code)
LEFT JOIN staging.aanbieders a USING (aanbieder_agb)
ORDER BY s.gemeente_code, s.aanbieder_agb, s.year
