-- marts.product_adoption: one row per gemeente × year × product of the catalogue.
-- product_clients: clients with at least one active indication of the product in the year (active
-- as in staging.client_years); share_of_clients_product = product_clients / all HbH clients of the
-- gemeente that year (clients_total, staging.client_years): the adoption of every-other-week help (frequentie_weken
-- = 2) and of the maatwerk products over time.
-- nl: Eén rij per gemeente per jaar per product uit de productcatalogus. Cliënten met dit product: het aantal
-- nl: personen met minstens één lopende indicatie voor het product in het jaar. Aandeel: die cliënten als
-- nl: deel van alle cliënten hulp bij het huishouden van de gemeente in dat jaar; zo is te zien hoe hulp eens
-- nl: per twee weken en de maatwerkproducten (zoals wasverzorging) in de loop der jaren worden gebruikt. Een
-- nl: cliënt kan meerdere producten hebben, dus de aandelen tellen niet op tot 100%.
-- disclosure: audience council
-- disclosure: persons product_clients, clients_total
-- disclosure: derived share_of_clients_product = product_clients / nullif(clients_total, 0)
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), prod AS (
  SELECT gemeente_code, product_code, arg_max(product_name, year) AS product_name,
         arg_max(product_kind, year) AS product_kind, arg_max(weeks_per_visit, year) AS weeks_per_visit
  FROM staging.producten GROUP BY ALL
), act AS (
  SELECT i.gemeente_code, i.product_code, y.year, count(DISTINCT i.client_id) AS product_clients
  FROM staging.indicaties i
  JOIN years y ON i.start_date <= make_date(y.year, 12, 31)
              AND coalesce(i.end_date, DATE '9999-12-31') >= make_date(y.year, 1, 1)
  GROUP BY ALL
), tot AS (
  SELECT gemeente_code, year, count(*) AS n FROM staging.client_years GROUP BY ALL
)
SELECT p.gemeente_code, y.year::INTEGER AS year, p.product_code, p.product_name, p.product_kind, p.weeks_per_visit,
       coalesce(a.product_clients, 0)::BIGINT AS product_clients, coalesce(t.n, 0)::BIGINT AS clients_total,
       (coalesce(a.product_clients, 0) / nullif(t.n, 0))::DOUBLE AS share_of_clients_product
FROM prod p CROSS JOIN years y
LEFT JOIN act a ON a.gemeente_code = p.gemeente_code AND a.product_code = p.product_code AND a.year = y.year
LEFT JOIN tot t ON t.gemeente_code = p.gemeente_code AND t.year = y.year
ORDER BY p.gemeente_code, y.year, p.product_code
