-- staging.budget: the gemeente's HbH budget per year (one row per gemeente × year; the latest
-- delivery wins). Source: raw.budget (contract data_contracts/budget.yaml).
SELECT gemeente_code, jaar AS year, budget_eur::DOUBLE AS budget_eur
FROM raw.budget
QUALIFY row_number() OVER (PARTITION BY gemeente_code, jaar ORDER BY (SELECT o.delivered_at FROM meta.delivery_order o WHERE o.source_file = raw.budget.source_file) DESC NULLS LAST, source_file DESC, source_line DESC) = 1
