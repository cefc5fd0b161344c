-- marts.reconciliation_findings: declaraties checked against indicaties, one row per gemeente × aanbieder ×
-- month × kind of finding: lines = declaration lines with that finding, hours and amount_eur = their declared
-- hours and amount (credit lines negative; DECIMAL). The kinds on a line (see staging.reconciliation_lines;
-- "client" is the client on the declaration line unless the toewijzing's client is named): toewijzing in
-- quarantaine (the gemeente's own row), declaratie zonder toewijzing (never delivered), toewijzing van een
-- andere cliënt (the toewijzing's client differs from the line's), ander product dan toegewezen, na de
-- einddatum van de cliënt (the line's client), buiten de periode van de toewijzing, bedrag ≠ volume × tarief,
-- meer uren dan geïndiceerd (boven de marge), dubbele declaratie, credit zonder debet, debet twee keer
-- gecrediteerd. On a message: totaal_wijkt_af, a WMO323 whose TotaalIngediendBedrag differs from the sum of
-- its prestaties as delivered (loaded and quarantined; one finding per message, amount_eur = header total −
-- sum; its lines still load). From the gemeente's own answers (WMO325, raw.declaratie_antwoorden):
-- afgewezen_<retourcode>, one row per retourcode other than 0200 on a prestatie the gemeente did not grant
-- (hours and amount of the declared line). These are the signals the seeds ask for around zorgfraude and the
-- Bibob test; a finding is a reason to look, not a verdict.
-- nl: Declaraties gecontroleerd tegen de indicaties: één rij per gemeente per aanbieder per maand per soort
-- nl: bevinding, met het aantal declaratieregels met die bevinding en hun gedeclareerde uren en bedrag
-- nl: (creditregels tellen negatief). "Cliënt" is de cliënt op de declaratieregel, tenzij er staat "de cliënt
-- nl: van de toewijzing". De soorten: toewijzing staat in quarantaine (een probleem in de eigen levering van
-- nl: de gemeente, geen signaal over de aanbieder), declaratie zonder toewijzing (nooit geleverd), toewijzing
-- nl: van een andere cliënt, ander product dan toegewezen, na de einddatum van de cliënt, buiten de periode
-- nl: van de toewijzing, bedrag wijkt af van volume × tarief, meer uren dan geïndiceerd (boven de marge),
-- nl: dubbele declaratie, creditregel zonder de debetregel die hij ongedaan maakt, debetregel twee keer
-- nl: gecrediteerd, en per bericht: het totaalbedrag in de kop wijkt af van de som van de regels. Daarnaast
-- nl: wat de gemeente zelf afwees (declaratie-antwoord WMO325), per retourcode. Eén regel kan meerdere
-- nl: bevindingen hebben. Dit zijn signalen rond zorgfraude en de Bibob-toets: een bevinding is een reden om
-- nl: te kijken, geen oordeel.
-- disclosure: audience analyst
WITH quarantined_lines AS (  -- prestaties of a message that did not pass the gate, as delivered
  SELECT source_file,
         TRY_CAST(json_extract_string(record, '$.bedrag') AS DECIMAL(18, 2))
           * CASE json_extract_string(record, '$.debet_credit') WHEN 'C' THEN -1 ELSE 1 END AS amount
  FROM meta.quarantine WHERE dataset = 'declaraties' AND json_valid(record)
), messages AS (
  SELECT r.source_file, any_value(r.gemeente_code) AS gemeente_code, any_value(r.aanbieder_agb) AS aanbieder_agb,
         min(r.begindatum) AS period_start, any_value(r.declaratie_totaal) AS totaal,
         sum(r.bedrag * CASE r.debet_credit WHEN 'C' THEN -1 ELSE 1 END) AS loaded
  FROM raw.declaraties r
  WHERE r.declaratie_totaal IS NOT NULL
  GROUP BY r.source_file
), totals AS (
  SELECT m.gemeente_code, m.aanbieder_agb, year(m.period_start) AS year, month(m.period_start) AS month,
         'totaal_wijkt_af' AS finding_code, NULL::DOUBLE AS hours,
         m.totaal - m.loaded - coalesce((SELECT sum(q.amount) FROM quarantined_lines q WHERE q.source_file = m.source_file), 0)
           AS declared_eur
  FROM messages m
), answers AS (
  SELECT a.gemeente_code, a.aanbieder_agb, coalesce(d.year, year(a.begindatum)) AS year,
         coalesce(d.month, month(a.begindatum)) AS month, 'afgewezen_' || c.code AS finding_code,
         d.hours, coalesce(d.declared_eur, a.bedrag * CASE a.debet_credit WHEN 'C' THEN -1 ELSE 1 END) AS declared_eur
  FROM raw.declaratie_antwoorden a
  CROSS JOIN unnest(string_split(a.retourcodes, ' ')) c(code)
  LEFT JOIN staging.declaraties d ON d.aanbieder_agb = a.aanbieder_agb AND d.referentie_nummer = a.referentie_nummer
  WHERE c.code <> '0200'
), all_findings AS (
  SELECT gemeente_code, aanbieder_agb, year, month, finding_code, hours, declared_eur FROM staging.reconciliation_lines
  UNION ALL
  SELECT gemeente_code, aanbieder_agb, year, month, finding_code, hours, declared_eur FROM totals WHERE declared_eur <> 0
  UNION ALL
  SELECT gemeente_code, aanbieder_agb, year, month, finding_code, hours, declared_eur FROM answers
)
SELECT r.gemeente_code, r.aanbieder_agb, coalesce(a.aanbieder_name, r.aanbieder_agb) AS aanbieder_name,
       r.year::INTEGER AS year, r.month::INTEGER AS month, r.finding_code,
       CASE r.finding_code
         WHEN 'toewijzing_in_quarantaine' THEN 'Toewijzing staat in quarantaine (levering gemeente)'
         WHEN 'geen_toewijzing' THEN 'Declaratie zonder toewijzing (nooit geleverd)'
         WHEN 'andere_client' THEN 'Toewijzing van een andere cliënt'
         WHEN 'ander_product' THEN 'Ander product dan toegewezen'
         WHEN 'na_einddatum' THEN 'Na de einddatum van de cliënt'
         WHEN 'buiten_periode' THEN 'Buiten de periode van de toewijzing'
         WHEN 'bedrag_wijkt_af' THEN 'Bedrag wijkt af van volume × tarief'
         WHEN 'meer_dan_geindiceerd' THEN 'Meer uren dan geïndiceerd'
         WHEN 'dubbel' THEN 'Dubbele declaratie'
         WHEN 'credit_zonder_debet' THEN 'Creditregel zonder bijbehorende debetregel'
         WHEN 'dubbel_gecrediteerd' THEN 'Debetregel twee keer gecrediteerd'
         WHEN 'totaal_wijkt_af' THEN 'Totaalbedrag in de kop wijkt af van de som van de regels'
         ELSE 'Afgewezen door de gemeente: retourcode ' || substr(r.finding_code, 11) || coalesce(' ' || CASE substr(r.finding_code, 11)
           WHEN '0611' THEN '(tarief wijkt af van het contract)'
           WHEN '9307' THEN '(buiten de periode van de toewijzing)'
           WHEN '9339' THEN '(productcategorie niet toegewezen)'
           WHEN '9340' THEN '(productcode niet toegewezen)'
           WHEN '9341' THEN '(eenheid past niet bij de toewijzing)'
           WHEN '9346' THEN '(bedrag is niet volume × tarief)'
         END, '')
       END AS finding,
       count(*)::BIGINT AS lines, sum(r.hours)::DOUBLE AS hours, sum(r.declared_eur)::DECIMAL(18, 2) AS amount_eur
FROM all_findings r
LEFT JOIN staging.aanbieders a USING (aanbieder_agb)
GROUP BY ALL
ORDER BY gemeente_code, aanbieder_agb, year, month, finding_code
