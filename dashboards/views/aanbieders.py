"""Aanbieders & declaraties (analysts): reconciliation findings per aanbieder, finding type and month."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards import access, charts, exports, layout, snapshot, tables
from dashboards import formatting as nl

layout.page_header(
    "Aanbieders & declaraties",
    "Voor analisten: declaraties die niet aansluiten op de toewijzingen of de contractafspraken, "
    "per aanbieder en soort bevinding.",
)
access.require_analyst()

findings = snapshot.load_optional("marts.reconciliation_findings")
summary = snapshot.load_optional("marts.reconciliation_summary")
if findings is None:
    st.info(
        "De gepubliceerde gegevens bevatten (nog) geen aansluiting van declaraties op toewijzingen "
        "(`marts.reconciliation_findings`). Draai de pipeline opnieuw na het bijwerken.",
        icon=":material/hourglass_empty:",
    )
    st.stop()
if findings.is_empty():
    st.success("Geen bevindingen: alle declaraties sluiten aan.", icon=":material/check_circle:")
    st.stop()

# gemeente names from the council marts (the findings carry only the code)
names: dict[str, str] = {}
gy = snapshot.load_optional("marts.gemeente_year")
if gy is not None:
    names = layout.gemeente_options(gy)

f1, f2, f3 = st.columns([2, 1, 2])
with f1:
    codes = sorted(findings["gemeente_code"].unique().to_list(), key=lambda x: names.get(x, x))
    gem = st.selectbox(
        "Gemeente", [nl.REGIO, *codes],
        format_func=lambda x: "Alle gemeenten" if x == nl.REGIO else names.get(x, x), key="aanb_gemeente",
    )
with f2:
    years = sorted(findings["year"].unique().to_list(), reverse=True)
    year = st.selectbox("Jaar", ["alle", *years], key="aanb_jaar", format_func=lambda y: "Alle jaren" if y == "alle" else str(y))
with f3:
    kinds = sorted(findings["finding"].unique().to_list())
    chosen = st.multiselect("Soort bevinding", kinds, default=kinds, key="aanb_soort", placeholder="Kies een of meer soorten")

sel = findings.filter(pl.col("finding").is_in(chosen))
if gem != nl.REGIO:
    sel = sel.filter(pl.col("gemeente_code") == gem)
if year != "alle":
    sel = sel.filter(pl.col("year") == year)
gem_name = "alle gemeenten" if gem == nl.REGIO else names.get(gem, gem)
filters = f"Gemeente: {gem_name}; jaar: {'alle' if year == 'alle' else year}; bevindingen: {', '.join(chosen)}"

# --- Declared and accepted (the gemeente's own answers, WMO325) ------------------------------------------------
answers = snapshot.load_optional("marts.declared_accepted")
if answers is not None and not answers.is_empty():
    st.subheader("Gedeclareerd en toegekend per aanbieder")
    da = answers if gem == nl.REGIO else answers.filter(pl.col("gemeente_code") == gem)
    if year != "alle":
        da = da.filter(pl.col("year") == year)
    # rejected and accepted are known only for the rows with the gemeente's answers (WMO325): summed over those,
    # next to the declared amount of those rows; an aanbieder without any stays empty, never 0
    ans = pl.col("answers_loaded")
    per_a = (da.group_by("aanbieder_agb", "aanbieder_name")
             .agg(pl.col("declared_lines").sum(), pl.col("declared_eur").sum(),
                  pl.when(ans.any()).then(pl.col("declared_eur").filter(ans).sum()).otherwise(None).alias("answered_eur"),
                  *[pl.when(ans.any()).then(pl.col(x).filter(ans).sum()).otherwise(None).alias(x)
                    for x in ("rejected_lines", "rejected_eur", "accepted_eur")])
             .sort("declared_eur", descending=True))
    show_as = st.radio("Bedragen van de aanbieders", ["Gedeclareerd en toegekend", "Gedeclareerd", "Toegekend"],
                       horizontal=True, key="aanb_bedragen")
    cols = [pl.col("aanbieder_name").alias("Aanbieder"), pl.col("aanbieder_agb").alias("AGB-code")]
    if show_as != "Toegekend":
        cols += [pl.col("declared_lines").alias("Regels gedeclareerd"),
                 pl.col("declared_eur").round(2).alias("Gedeclareerd (€)")]
    if show_as != "Gedeclareerd":
        cols += [pl.col("answered_eur").round(2).alias("Waarvan met antwoord (€)"),
                 pl.col("rejected_lines").alias("Regels afgewezen"), pl.col("rejected_eur").round(2).alias("Afgewezen (€)"),
                 pl.col("accepted_eur").round(2).alias("Toegekend (€)"),
                 (pl.col("accepted_eur") / pl.col("answered_eur") * 100).round(1).alias("Toegekend (%)")]
    da_table = per_a.select(cols)
    answered = da.filter(ans)
    text = f"Gedeclareerd: **{nl.fmt_eur(da['declared_eur'].sum())}**."
    if answered.height:
        acc, base = answered["accepted_eur"].sum(), answered["declared_eur"].sum()
        text += (f" Daarvan **{nl.fmt_eur(answered['declared_eur'].sum())}** in declaraties met een antwoord van de "
                 f"gemeente (WMO325): zij wees **{nl.fmt_eur(answered['rejected_eur'].sum())}** af "
                 f"({nl.fmt_number(answered['rejected_lines'].sum())} regels) en kende **{nl.fmt_eur(acc)}** toe "
                 f"({nl.fmt_pct(acc / base if base else None)}).")
    else:
        text += " Over deze selectie staan geen declaratie-antwoorden van de gemeente (WMO325) in de gegevens."
    st.markdown(text)
    st.caption("Waar geen declaratie-antwoord (WMO325) van de gemeente aan de aanbieder over dat jaar in de gegevens "
               "staat, zijn afgewezen en toegekend onbekend en tellen ze niet mee, ook niet als nul. Een CSV-export "
               "van declaraties bevat geen antwoorden.")
    tables.table_with_downloads(da_table, key="aanb_toegekend", name=f"gedeclareerd-toegekend-{gem_name}",
                                title="Gedeclareerd en toegekend per aanbieder", filters=filters,
                                column_config=tables.localized_numbers(da_table))
    layout.how_calculated(["marts.declared_accepted"],
                          "Toegekend = gedeclareerd min wat de gemeente in haar declaratie-antwoord (WMO325) afwees met een "
                          "andere retourcode dan 0200.")

SUMMED = "Opgeteld over de soorten bevinding: een declaratieregel met twee soorten bevindingen telt twee keer mee."
k1, k2, k3 = st.columns(3)
k1.metric("Bevindingen (regels × soort)", nl.fmt_number(sel["lines"].sum()), help=SUMMED)
k2.metric("Uren (over de soorten)", nl.fmt_number(sel["hours"].sum()), help=SUMMED)
k3.metric("Bedrag (over de soorten)", nl.fmt_eur(sel["amount_eur"].sum()), help=SUMMED)
# one colour per kind of finding on every chart of the page
COLORS = dict(zip(kinds, px.colors.qualitative.T10 * 2))
if sel.is_empty():
    st.info("Geen bevindingen voor deze selectie.")
    st.stop()

DOC = (
    "Uit `marts.reconciliation_findings`: per gemeente, aanbieder, maand en soort bevinding het aantal "
    "declaratieregels, de gedeclareerde uren en het gedeclareerde bedrag. Een regel kan meer dan één "
    "bevinding hebben en telt dan bij elke soort mee."
)

# --- Per aanbieder × finding ------------------------------------------------------------------------------
st.subheader("Bevindingen per aanbieder")
per = (
    sel.group_by("aanbieder_agb", "aanbieder_name", "finding")
    .agg(pl.col("lines").sum(), pl.col("hours").sum(), pl.col("amount_eur").sum())
    .sort("amount_eur", descending=True)
)
table = per.select(
    pl.col("aanbieder_name").alias("Aanbieder"),
    pl.col("aanbieder_agb").alias("AGB-code"),
    pl.col("finding").alias("Bevinding"),
    pl.col("lines").alias("Regels"),
    pl.col("hours").round(1).alias("Uren"),
    pl.col("amount_eur").round(2).alias("Bedrag (€)"),
)
fig = px.bar(
    table.to_pandas(), x="Bedrag (€)", y="Aanbieder", color="Bevinding", orientation="h", color_discrete_map=COLORS,
    hover_data={"Regels": True, "Uren": ":,.1f"},
)
charts.style_figure(fig, y_format=",.0f", x_years=False, height=160 + 34 * table["Aanbieder"].n_unique())
fig.update_yaxes(categoryorder="total ascending", title=None, rangemode="normal")
fig.update_xaxes(tickformat=",~f", rangemode="tozero", title="Bedrag (€)")
fig.update_layout(legend_title_text="")
charts.plot(fig, key="aanb_per_aanbieder", title="Bedrag per aanbieder naar bevinding",
            alt=f"Bedrag per aanbieder naar bevinding. Selectie: {filters}.")
tables.table_with_downloads(table, key="aanb_tabel", name=f"bevindingen-per-aanbieder-{gem_name}",
                            title="Bevindingen per aanbieder", filters=filters,
                            column_config=tables.number_formats(localized=("Regels", "Uren"), euro=("Bedrag (€)",)))
with st.expander("Hoe berekend?", icon=":material/calculate:"):
    st.markdown(DOC)
    st.markdown(snapshot.model_doc("marts.reconciliation_findings") or "")

# --- Share of all declaration lines (all years) ----------------------------------------------------------------
if summary is not None and not summary.is_empty() and "share_of_lines" in summary.columns:
    st.subheader("Aandeel van alle declaratieregels (alle jaren)")
    s = summary.filter(pl.col("finding").is_in(chosen))
    if gem != nl.REGIO:
        s = s.filter(pl.col("gemeente_code") == gem)
    share = (
        s.group_by("aanbieder_name", "finding")
        .agg(pl.col("lines").sum(), pl.col("amount_eur").sum(), pl.col("all_lines").sum())
        .with_columns((pl.col("lines") / pl.col("all_lines") * 100).round(2).alias("pct"))
        .sort("pct", descending=True)
        .select(
            pl.col("aanbieder_name").alias("Aanbieder"), pl.col("finding").alias("Bevinding"),
            pl.col("lines").alias("Regels"), pl.col("all_lines").alias("Alle regels"),
            pl.col("pct").alias("Aandeel (%)"), pl.col("amount_eur").round(2).alias("Bedrag (€)"),
        )
    )
    tables.table_with_downloads(share, key="aanb_aandeel", name=f"aandeel-bevindingen-{gem_name}",
                                title="Aandeel van alle declaratieregels", filters=filters.split("; jaar")[0],
                                column_config=tables.number_formats(localized=("Regels", "Alle regels", "Aandeel (%)"),
                                                                    euro=("Bedrag (€)",)))
    with st.expander("Hoe berekend?", icon=":material/calculate:"):
        st.markdown(snapshot.model_doc("marts.reconciliation_summary") or
                    "Uit `marts.reconciliation_summary`: regels met de bevinding / alle declaratieregels van de aanbieder.")

# --- Trend per month ----------------------------------------------------------------------------------------
st.subheader("Bevindingen per maand")
measure = st.radio("Maatstaf", ["Bedrag (€)", "Regels"], horizontal=True, key="aanb_maatstaf")
trend = (
    sel.with_columns(pl.date(pl.col("year"), pl.col("month"), 1).alias("maand"))
    .group_by("maand", "finding")
    .agg(pl.col("lines").sum(), pl.col("amount_eur").sum())
    .sort("maand", "finding")
    .select(
        pl.col("maand").alias("Maand"), pl.col("finding").alias("Bevinding"),
        pl.col("lines").alias("Regels"), pl.col("amount_eur").round(2).alias("Bedrag (€)"),
    )
)
# one panel per kind of finding: in one panel, kinds with about the same monthly figures (a double
# declaration is usually also more hours than indicated) hid each other's line
n_kinds = max(trend["Bevinding"].n_unique(), 1)
fig2 = px.line(trend.to_pandas(), x="Maand", y=measure, color="Bevinding", markers=True, color_discrete_map=COLORS,
               facet_row="Bevinding", facet_row_spacing=0.1, category_orders={"Bevinding": [k for k in COLORS if k in trend["Bevinding"]]})
charts.style_figure(fig2, y_format=",.0f" if measure.startswith("Bedrag") else ",d", x_years=False,
                    height=90 + 190 * n_kinds)
fig2.update_xaxes(tickformat="%m-%Y", hoverformat="%m-%Y", title=None)
fig2.update_yaxes(title=None)
_tops = [ax.domain[1] for ax in fig2.select_yaxes()]


def _panel_title(a) -> None:
    """'Bevinding=Dubbele declaratie' on its side at the right -> 'Dubbele declaratie' above its panel."""
    top = min((t for t in _tops if t >= a.y), default=a.y)
    a.update(text=a.text.split("=", 1)[-1], textangle=0, x=0, xanchor="left", y=top, yanchor="bottom", font_size=12)


fig2.for_each_annotation(_panel_title)
fig2.update_layout(legend_title_text="", showlegend=False, margin=dict(r=10))
charts.plot(fig2, key="aanb_trend", title="Bevindingen per maand", alt=f"Bevindingen per maand. Selectie: {filters}.")
exports.download_buttons(trend, name=f"bevindingen-per-maand-{gem_name}", key="aanb_trend_dl",
                         title="Bevindingen per maand", filters=filters)
with st.expander("Hoe berekend?", icon=":material/calculate:"):
    st.markdown(DOC + " Per maand van de declaratieperiode opgeteld over de gekozen aanbieders en gemeenten.")
