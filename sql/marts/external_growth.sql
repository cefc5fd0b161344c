-- marts.external_growth: a published growth forecast the municipality entered (raw.groeiprognose, e.g. the
-- VNG/ABF prognosemodel), laid over our own figures: one row per gemeente × source × year from the base
-- year to the target year. clients_base: our clients in the base year (marts.gemeente_year);
-- external_clients = clients_base × (1 + groei_procent / 100)^((year − basisjaar) / (doeljaar − basisjaar)):
-- the published growth spread evenly (geometrically) over the years. The latest delivery of a source wins.
-- nl: Een gepubliceerde groeiprognose die de gemeente zelf invoert (zoals het VNG/ABF-prognosemodel: de vraag
-- nl: naar hulp bij het huishouden in Nijmegen +41% tot 2026), naast onze eigen prognose. Vertrekpunt: ons
-- nl: aantal cliënten in het basisjaar van die prognose; de gepubliceerde groei is gelijkmatig over de jaren
-- nl: verdeeld (elk jaar hetzelfde groeipercentage) tot het doeljaar.
-- disclosure: audience council
-- disclosure: recompute from the published marts.gemeente_year
-- disclosure: persons clients_base
WITH src AS (
  SELECT gemeente_code, bron, basisjaar, doeljaar, groei_procent
  FROM raw.groeiprognose
  WHERE doeljaar > basisjaar
  QUALIFY row_number() OVER (PARTITION BY gemeente_code, bron ORDER BY source_file DESC, source_line DESC) = 1
)
SELECT s.gemeente_code, g.gemeente_name, s.bron, s.basisjaar::INTEGER AS basisjaar, s.doeljaar::INTEGER AS doeljaar,
       s.groei_procent::DOUBLE AS groei_procent, y.year::INTEGER AS year, g.clients::BIGINT AS clients_base,
       (g.clients * pow(1 + s.groei_procent / 100, (y.year - s.basisjaar) / (s.doeljaar - s.basisjaar)))::DOUBLE
         AS external_clients
FROM src s
JOIN marts.gemeente_year g ON g.gemeente_code = s.gemeente_code AND g.year = s.basisjaar
CROSS JOIN LATERAL (SELECT range AS year FROM range(s.basisjaar, s.doeljaar + 1)) y
ORDER BY s.gemeente_code, s.bron, y.year
