"""Wijken: figures per wijk for one year, as a sortable table and a ranked bar chart."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

import common as c

c.page_header(
    "Wijken",
    "Gebruik van hulp bij het huishouden per wijk: waar is het gebruik hoog, ook als je rekening "
    "houdt met het aantal (oudere) inwoners?",
)

wy = c.load("marts.wijk_year")
gy = c.load("marts.gemeente_year")
if wy.is_empty():
    st.info("De gepubliceerde gegevens bevatten nog geen cijfers per wijk.")
    st.stop()

f1, f2 = st.columns([2, 1])
with f1:
    code = c.gemeente_select(wy, key="wijken_gemeente")
scope = wy if code == c.REGIO else wy.filter(pl.col("gemeente_code") == code)
with f2:
    year = c.year_select(scope["year"].to_list(), key="wijken_jaar")
name = c.gemeente_label(wy, code)
all_gemeenten = code == c.REGIO

sel = c.protect(scope.filter(pl.col("year") == year))
c.incomplete_year_note(year)

# Wijk names can repeat across gemeenten (every town has a "Centrum"): make the chart label unique.
sel = sel.with_columns(
    pl.when(pl.col("wijk_name").is_duplicated() | pl.lit(all_gemeenten))
    .then(pl.format("{} ({})", "wijk_name", "gemeente_name"))
    .otherwise(pl.col("wijk_name"))
    .alias("_label")
)
sel = sel.with_columns(
    pl.when(pl.col("_label").is_duplicated())
    .then(pl.format("{} ({})", "_label", "wijk_code"))
    .otherwise(pl.col("_label"))
    .alias("_label")
)

# --- Table ------------------------------------------------------------------------------------------
st.subheader(f"Cijfers per wijk · {name} · {year}")
table_cols = (["gemeente_name"] if all_gemeenten else []) + [
    "wijk_name",
    "clients",
    "clients_per_1000",
    "clients_per_1000_75plus",
    "new_clients",
    "inhabitants",
    "inhabitants_75plus",
    "indicated_hours",
    "declared_hours",
    "cost_eur",
    "wijk_code",
]
# new_clients is NULL in the first year of the data (no previous year to compare with), which is not
# a suppressed count: leave the column out rather than show "<10".
no_inflow = year == int(wy["year"].min()) and sel["new_clients"].null_count() == sel.height
if no_inflow:
    table_cols.remove("new_clients")
table = c.display_frame(
    sel.sort("clients_per_1000", descending=True, nulls_last=True), table_cols
)
st.dataframe(
    table,
    hide_index=True,
    column_config=c.number_column_config(table),
    placeholder=c.suppressed_label(),
    height=min(38 + 35 * table.height, 740),  # all wijken visible without inner scrolling
    key="wijken_tabel",
)
st.caption(
    "Klik op een kolomkop om te sorteren. "
    f"'{c.suppressed_label()}' = afgeschermd: minder dan {c.suppression_threshold()} cliënten, "
    "of verborgen zodat zo'n klein aantal niet uit een totaal is terug te rekenen; "
    "het verhoudingsgetal van die wijk is dan ook verborgen."
)
if no_inflow:
    st.caption(f"Nieuwe cliënten zijn voor het eerste jaar van de gegevens ({year}) niet te bepalen.")
filters = f"Gemeente: {name}; jaar: {year}"
c.download_buttons(
    table, name=f"wijken-{name}-{year}", key="wijken_tabel_dl", title="Cijfers per wijk", filters=filters
)
c.how_calculated(["marts.wijk_year"])

# --- Bar chart ----------------------------------------------------------------------------------------
st.subheader("Cliënten per 1.000 inwoners per wijk")
per_75 = st.toggle("Per 1.000 inwoners van 75 jaar en ouder", key="wijken_75plus")
field = "clients_per_1000_75plus" if per_75 else "clients_per_1000"
y_label = c.LABELS[field]

shown = sel.filter(pl.col(field).is_not_null()).sort(field)
hidden = sel.filter(pl.col(field).is_null())["_label"].sort().to_list()
chart = c.display_frame(
    shown, (["gemeente_name"] if all_gemeenten else []) + ["wijk_name", "wijk_code", field]
).with_columns(shown["_label"].alias("Label"))

# Reference: the gemeente (or regio) as a whole, same year.
ref_rows = c.for_gemeente(gy, code).filter(pl.col("year") == year)
ref = ref_rows[field][0] if ref_rows.height else None

if chart.is_empty():
    st.info("Voor deze selectie zijn geen wijkcijfers te tonen (alle wijken afgeschermd of zonder inwoners).")
else:
    fig = px.bar(
        chart.to_pandas(),
        x=y_label,
        y="Label",
        orientation="h",
        color="Gemeente" if all_gemeenten else None,
        color_discrete_map=c.gemeente_colors(gy),
        text=y_label,
        hover_data={"Wijkcode": True, "Label": False},
    )
    fig.update_traces(
        texttemplate="%{x:,.1f}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}<br>" + y_label + ": %{x:,.1f}<extra></extra>",
    )
    c.style_figure(fig, y_format=",.1f", x_years=False, height=140 + 28 * chart.height)
    fig.update_yaxes(categoryorder="total ascending", title=None, rangemode="normal")
    fig.update_xaxes(title=y_label, tickformat=",~f", hoverformat=",.1f", rangemode="tozero")
    fig.update_layout(legend=dict(y=1.0, yanchor="bottom", title_text=""), margin=dict(t=60))
    if ref is not None:  # dashed reference line; its value goes in the axis title (no overlap)
        fig.add_vline(x=ref, line_dash="dash", line_color="#444", line_width=1)
        fig.update_xaxes(title=f"{y_label}  ·  stippellijn: {name} {c.fmt_rate(ref)}")
    c.show_chart(
        fig,
        chart.drop("Label"),
        name=f"wijken-{'per-1000-75plus' if per_75 else 'per-1000'}-{name}-{year}",
        key="wijken_staaf",
        tables=["marts.wijk_year", "marts.gemeente_year"],
        title=f"{y_label} per wijk",
        filters=filters,
        extra="De stippellijn is het cijfer voor de gemeente als geheel"
        + (" (regio: opgeteld en opnieuw berekend)." if all_gemeenten else "."),
    )
ref_note = c.hidden_note(ref_rows)
if ref_note:
    st.caption(ref_note)
if hidden:
    st.caption(f"Niet in de grafiek (afgeschermd of geen inwoners): {', '.join(hidden)}.")
