"""Great Expectations suites derived from the data contracts, run on the loaded raw tables.

The row gate already keeps rows that break a rule out of ``raw.*``; the GX suite is the
independent second line that proves it on what was actually loaded (and catches a gate bug).

Why pandas: GX 1.x's SQL datasource cannot read DuckDB (every metric fails with IndexError,
great_expectations issue 11579), so the table is handed to GX's pandas datasource. Every row is
validated, not a sample. Only the contract columns are fetched; GX is imported lazily because its
import alone takes 2–3 s.
"""

from __future__ import annotations

import duckdb

from hbh_monitor.contracts import Contract


def expectations_for(c: Contract) -> list[tuple[str, dict]]:
    """(GX expectation class name, kwargs) for every rule in the contract, on the loaded columns."""
    out: list[tuple[str, dict]] = []
    for col in c.columns:
        name = col.pseudonymise_as or col.name
        if col.required:
            out.append(("ExpectColumnValuesToNotBeNull", {"column": name}))
        if col.pseudonymise_as:
            continue  # the BSN's pattern and elfproef are checked before it is replaced
        if col.pattern and col.logical_type == "string":
            out.append(("ExpectColumnValuesToMatchRegex", {"column": name, "regex": col.pattern}))
        if col.valid_values:
            out.append(("ExpectColumnValuesToBeInSet", {"column": name, "value_set": list(col.valid_values)}))
        if col.logical_type in ("integer", "number") and (col.minimum is not None or col.maximum is not None):
            out.append(("ExpectColumnValuesToBeBetween", {"column": name, "min_value": col.minimum, "max_value": col.maximum}))
    return out


def validate_table(con: duckdb.DuckDBPyConnection, c: Contract) -> dict:
    """Validate every row of ``c.table`` against the contract's suite; returns a summary dict."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    cols = [n for n, _ in c.loaded_columns()]
    df = con.sql(f"SELECT {', '.join(cols)} FROM {c.table}").df()
    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)  # keep the run log readable
    batch_def = (
        ctx.data_sources.add_pandas(f"{c.name}_source")
        .add_dataframe_asset(c.name)
        .add_batch_definition_whole_dataframe("all_rows")
    )
    suite = ctx.suites.add(gx.ExpectationSuite(name=f"{c.name}_contract_v{c.version}"))
    for cls, kwargs in expectations_for(c):
        suite.add_expectation(getattr(gx.expectations, cls)(**kwargs))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{c.name}_validation", data=batch_def, suite=suite))
    res = vd.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    failed = [
        f"{r.expectation_config.type}({r.expectation_config.kwargs.get('column')}): {r.result.get('unexpected_count')} rijen"
        for r in res.results
        if not r.success
    ]
    return {
        "success": bool(res.success),
        "rows": len(df),
        "expectations": res.statistics["evaluated_expectations"],
        "successful": res.statistics["successful_expectations"],
        "failed": failed,
        "suite": suite.name,
    }
