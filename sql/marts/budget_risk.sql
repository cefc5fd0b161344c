-- marts.budget_risk: one row per gemeente × year: the observed years of the data period (bron
-- 'waarneming') followed by the forecast years of marts.forecast (bron 'prognose').
-- Observed: cost_eur = Σ of the cost (hours × contracted tariff; DECIMAL, exact) of all declaration lines of
--   the gemeente in the year (staging.declaraties), the same number as marts.gemeente_year.cost_eur; gap_cost_eur = the cost of indicated but undelivered help (Σ of
--   marts.unmet_demand.gap_cost_eur).
-- Forecast: cost_eur = Σ of marts.forecast.forecast_cost_eur (default scenario; it rests on declared,
--   i.e. delivered, hours); gap_cost_eur = cost_eur × the gemeente's gap_cost_eur / cost_eur of the
--   forecast's fit year: what delivering all indicated help would add if the shortage stays as it was;
--   gap_hours: observed years only.
-- cost_without_gap_eur = cost_eur + gap_cost_eur: the cost had all indicated help been delivered (the
--   budget risk when the staff shortage ends); budget_eur: the gemeente's HbH budget (staging.budget;
--   empty for years without one); headroom_eur = budget − cost; headroom_without_gap_eur = budget −
--   cost_without_gap (negative = overrun); share_of_budget(_without_gap) = cost(_without_gap) / budget.
-- nl: Eén rij per gemeente per jaar: eerst de waargenomen jaren (bron 'waarneming'), daarna de jaren van de
-- nl: prognose (bron 'prognose'). Kosten in waargenomen jaren: de door aanbieders gedeclareerde uren × het
-- nl: gecontracteerde tarief (alleen zorg in natura: pgb wordt niet bij de gemeente gedeclareerd); kosten van
-- nl: het tekort: wat de geïndiceerde maar niet geleverde uren hadden gekost. In de prognosejaren komen de
-- nl: kosten uit de prognose (standaardscenario, gebaseerd op gedeclareerde, dus geleverde uren) en zijn de
-- nl: kosten van het tekort geschat met dezelfde verhouding tekort/kosten als in het laatste waargenomen
-- nl: jaar, dus alsof het personeelstekort blijft zoals het was; het tekort in uren staat alleen bij de
-- nl: waargenomen jaren. Kosten als alles geleverd was = kosten + kosten van het tekort: wat het kost als alle
-- nl: geïndiceerde hulp wordt geleverd (het budgetrisico als het personeelstekort voorbij is). Ruimte =
-- nl: budget − kosten (negatief = overschrijding); ruimte als alles geleverd was = budget − kosten als alles geleverd was;
-- nl: aandeel van het budget = kosten / budget; leeg in jaren zonder bekend budget.
-- disclosure: audience council
-- disclosure: recompute from the published marts.forecast
WITH years AS (
  SELECT range AS year FROM staging.data_period, range(year(data_from), year(data_to) + 1)
), gem AS (
  SELECT DISTINCT gemeente_code, gemeente_name FROM staging.wijken
), cost AS (
  SELECT gemeente_code, year, sum(cost_eur) AS cost_eur FROM staging.declaraties GROUP BY ALL
), gap AS (
  SELECT gemeente_code, year, sum(gap_cost_eur) AS gap_cost_eur, sum(gap_hours) AS gap_hours
  FROM marts.unmet_demand GROUP BY ALL
), obs AS (
  SELECT g.gemeente_code, g.gemeente_name, y.year::INTEGER AS year,
         coalesce(c.cost_eur, 0)::DECIMAL(18, 6) AS cost_eur, coalesce(gap.gap_hours, 0)::DOUBLE AS gap_hours,
         coalesce(gap.gap_cost_eur, 0)::DOUBLE AS gap_cost_eur, 'waarneming' AS bron
  FROM gem g CROSS JOIN years y
  LEFT JOIN cost c ON c.gemeente_code = g.gemeente_code AND c.year = y.year
  LEFT JOIN gap ON gap.gemeente_code = g.gemeente_code AND gap.year = y.year
), fc AS (
  SELECT f.gemeente_code, any_value(f.gemeente_name) AS gemeente_name, f.year::INTEGER AS year,
         any_value(f.fit_year) AS fit_year, sum(f.forecast_cost_eur) AS cost_eur
  FROM marts.forecast f GROUP BY f.gemeente_code, f.year
), prog AS (
  SELECT fc.gemeente_code, fc.gemeente_name, fc.year, round(fc.cost_eur, 6)::DECIMAL(18, 6) AS cost_eur,
         NULL::DOUBLE AS gap_hours,
         (fc.cost_eur * o.gap_cost_eur / nullif(o.cost_eur, 0))::DOUBLE AS gap_cost_eur, 'prognose' AS bron
  FROM fc JOIN obs o ON o.gemeente_code = fc.gemeente_code AND o.year = fc.fit_year
  WHERE fc.year > (SELECT max(year) FROM obs)
), all_years AS (
  SELECT * FROM obs UNION ALL SELECT * FROM prog
)
SELECT a.gemeente_code, a.gemeente_name, a.year, b.budget_eur, a.cost_eur, a.gap_hours, a.gap_cost_eur,
       (a.cost_eur + a.gap_cost_eur)::DOUBLE AS cost_without_gap_eur,
       (b.budget_eur - a.cost_eur)::DOUBLE AS headroom_eur,
       (b.budget_eur - a.cost_eur - a.gap_cost_eur)::DOUBLE AS headroom_without_gap_eur,
       (a.cost_eur / nullif(b.budget_eur, 0))::DOUBLE AS share_of_budget,
       ((a.cost_eur + a.gap_cost_eur) / nullif(b.budget_eur, 0))::DOUBLE AS share_of_budget_without_gap,
       a.bron
FROM all_years a
LEFT JOIN staging.budget b ON b.gemeente_code = a.gemeente_code AND b.year = a.year
ORDER BY a.gemeente_code, a.year
