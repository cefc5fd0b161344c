-- marts.reconciliation_findings: declaraties checked against indicaties, one row per gemeente × aanbieder ×
-- month × kind of finding: lines = declaration lines with that finding, hours and amount_eur = their declared
-- hours and amount (credit lines negative). The kinds (see staging.reconciliation_lines): declaratie zonder
-- toewijzing, toewijzing van een andere cliënt, ander product dan toegewezen, na de einddatum van de cliënt,
-- buiten de periode van de toewijzing, bedrag ≠ volume × tarief, meer uren dan geïndiceerd (boven de marge),
-- dubbele declaratie. These are the signals the seeds ask for around zorgfraude and the Bibob test; a
-- finding is a reason to look, not a verdict.
-- nl: Declaraties gecontroleerd tegen de indicaties: één rij per gemeente per aanbieder per maand per soort
-- nl: bevinding, met het aantal declaratieregels met die bevinding en hun gedeclareerde uren en bedrag
-- nl: (creditregels tellen negatief). De soorten: declaratie zonder toewijzing, toewijzing van een andere
-- nl: cliënt, ander product dan toegewezen, na de einddatum van de cliënt, buiten de periode van de
-- nl: toewijzing, bedrag wijkt af van volume × tarief, meer uren dan geïndiceerd (boven de marge) en dubbele
-- nl: declaratie. Eén regel kan meerdere bevindingen hebben. Dit zijn signalen rond zorgfraude en de
-- nl: Bibob-toets: een bevinding is een reden om te kijken, geen oordeel.
-- disclosure: audience analyst
SELECT r.gemeente_code, r.aanbieder_agb, coalesce(a.aanbieder_name, r.aanbieder_agb) AS aanbieder_name,
       r.year::INTEGER AS year, r.month::INTEGER AS month, r.finding_code,
       CASE r.finding_code
         WHEN 'geen_toewijzing' THEN 'Declaratie zonder toewijzing'
         WHEN 'andere_client' THEN 'Toewijzing van een andere cliënt'
         WHEN 'ander_product' THEN 'Ander product dan toegewezen'
         WHEN 'na_einddatum' THEN 'Na de einddatum van de cliënt'
         WHEN 'buiten_periode' THEN 'Buiten de periode van de toewijzing'
         WHEN 'bedrag_wijkt_af' THEN 'Bedrag wijkt af van volume × tarief'
         WHEN 'meer_dan_geindiceerd' THEN 'Meer uren dan geïndiceerd'
         WHEN 'dubbel' THEN 'Dubbele declaratie'
       END AS finding,
       count(*)::BIGINT AS lines, sum(r.hours)::DOUBLE AS hours, sum(r.declared_eur)::DOUBLE AS amount_eur
FROM staging.reconciliation_lines r
LEFT JOIN staging.aanbieders a USING (aanbieder_agb)
GROUP BY ALL
ORDER BY gemeente_code, aanbieder_agb, year, month, finding_code
