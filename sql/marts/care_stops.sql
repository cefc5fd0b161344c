-- marts.care_stops: one row per wijk × year × reden beëindiging.
-- stops: ZIN toewijzingen whose care stopped (WMO307 einddatum) in the year, by the iWmo
-- RedenBeeindiging the aanbieder reported (reden, reden_naam), in the wijk of the indication;
-- stops_client_ended: of those, the ones after which the client had no other indication of the
-- same product (so the stop is not a change to a new toewijzing).
-- nl: Eén rij per wijk per jaar per reden van beëindiging. Beëindigingen: het aantal toewijzingen in zorg in
-- nl: natura waarvan de aanbieder in dat jaar het einde van de zorg heeft gemeld (iWmo-bericht WMO307), naar
-- nl: de reden die de aanbieder opgaf, in de wijk van de indicatie. Waarvan cliënt gestopt: de beëindigingen
-- nl: waarna de cliënt geen nieuwe toewijzing voor hetzelfde product kreeg die de oude verving; dan gaat het
-- nl: dus niet om een overstap naar een nieuwe toewijzing (herindicatie).
-- disclosure: audience council
-- disclosure: persons stops, stops_client_ended
SELECT t.gemeente_code, t.wijk_code, w.wijk_name, year(t.stop_date)::INTEGER AS year,
       t.stop_reden AS reden, t.stop_reden_naam AS reden_naam,
       count(*)::BIGINT AS stops,
       count(*) FILTER (WHERE NOT EXISTS (
         SELECT 1 FROM staging.toewijzingen n
         WHERE n.gemeente_code = t.gemeente_code AND n.replaces = t.toewijzing_nummer))::BIGINT AS stops_client_ended
FROM staging.toewijzingen t
LEFT JOIN staging.wijken w USING (wijk_code)
WHERE t.stop_date IS NOT NULL
  AND t.stop_date BETWEEN (SELECT data_from FROM staging.data_period) AND (SELECT data_to FROM staging.data_period)
GROUP BY ALL
ORDER BY t.gemeente_code, t.wijk_code, year, reden
