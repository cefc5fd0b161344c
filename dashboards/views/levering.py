"""Levering en wachttijd: how much of the indicated help is delivered (per wijk and aanbieder), what
the gap would cost against the budget, how long new clients wait for care to start, why care stops,
and what herindicaties and the product mix do. The open waiting list is for analysts only."""

from __future__ import annotations

import plotly.express as px
import polars as pl
import streamlit as st

from dashboards import access, charts, exports, layout, protection, snapshot, summaries, tables
from dashboards import formatting as nl

layout.page_header(
    "Levering en wachttijd",
    "Wordt de geïndiceerde hulp ook geleverd? Wat kost het als het personeelstekort voorbij is, hoe lang "
    "wachten nieuwe cliënten op de start van de zorg, en waarom stopt de zorg?",
)

dy = snapshot.load_optional("marts.delivery_year")
if dy is None or dy.is_empty():
    st.info("De gepubliceerde gegevens bevatten nog geen cijfers over levering (starts, stops, declaraties).")
    st.stop()
br = snapshot.load_optional("marts.budget_risk")
tty = snapshot.load_optional("marts.time_to_start_year")
stops = snapshot.load_optional("marts.care_stops")
her = snapshot.load_optional("marts.herindicaties")
dur = snapshot.load_optional("marts.indication_durations")
adopt = snapshot.load_optional("marts.product_adoption")
names = layout.gemeente_options(br if br is not None else dy)
agb_names = dict(dy.filter(pl.col("aanbieder_agb") != "alle").select("aanbieder_agb", "aanbieder_name").unique().rows())

f1, f2 = st.columns([2, 1])
with f1:
    code = st.selectbox("Gemeente", [nl.REGIO, *names], key="levering_gemeente",
                        format_func=lambda x: "Alle gemeenten (regio totaal)" if x == nl.REGIO else names.get(x, x))
is_region = code == nl.REGIO
gem_name = "de regio" if is_region else names.get(code, code)


def scoped(df: pl.DataFrame) -> pl.DataFrame:
    """Rows of the chosen gemeente; all gemeenten for the regio."""
    return df if is_region else df.filter(pl.col("gemeente_code") == code)


def _region_delivery(df: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Add delivery rows up over gemeenten: hours and costs summed, the share recomputed from the sums of the
    published rows (a hidden row is left out, so the regio figure is for the other rows)."""
    pub = df.filter(pl.col("share_delivered").is_not_null())
    return (df.group_by(by, maintain_order=True)
            .agg(protection.partial_sum("clients"), protection.partial_sum("indicated_hours"), protection.partial_sum("delivered_hours"),
                 protection.partial_sum("gap_cost_eur"))
            .join(pub.group_by(by).agg((pl.col("delivered_hours").sum() / pl.col("indicated_hours").sum())
                                       .alias("share_delivered")), on=by, how="left"))


if is_region:  # one regio row per year / wijk / aanbieder
    tot = dy.filter((pl.col("wijk_code") == "alle") & (pl.col("aanbieder_agb") == "alle"))
    per_gem_rows = tot.with_columns(pl.col("gemeente_name").alias("wijk_name"), pl.col("gemeente_code").alias("wijk_code"),
                                    pl.lit("alle").alias("aanbieder_agb"))
    gem = pl.concat([
        _region_delivery(tot, ["year"]).with_columns(wijk_code=pl.lit("alle"), aanbieder_agb=pl.lit("alle")),
        per_gem_rows.select("year", "clients", "indicated_hours", "delivered_hours", "gap_cost_eur", "share_delivered",
                            "wijk_code", "aanbieder_agb", "wijk_name"),
        _region_delivery(dy.filter((pl.col("wijk_code") == "alle") & (pl.col("aanbieder_agb") != "alle")),
                         ["year", "aanbieder_agb", "aanbieder_name"]).with_columns(wijk_code=pl.lit("alle")),
    ], how="diagonal_relaxed")
else:
    gem = dy.filter(pl.col("gemeente_code") == code)
with f2:
    year = layout.year_select(gem["year"].to_list(), key="levering_jaar")
filters = f"gemeente {'alle gemeenten' if is_region else names.get(code, code)}, jaar {year}"


def _one(df: pl.DataFrame | None, *conds: pl.Expr) -> dict | None:
    if df is None:
        return None
    hit = df.filter(*conds) if conds else df
    return hit.row(0, named=True) if hit.height else None


_total = _one(gem, pl.col("year") == year, pl.col("wijk_code") == "alle", pl.col("aanbieder_agb") == "alle")
if br is not None and not is_region:
    _budget = _one(br, pl.col("gemeente_code") == code, pl.col("year") == year)
elif br is not None:
    _yb = br.filter(pl.col("year") == year)
    _budget = ({"budget_eur": _yb["budget_eur"].sum(), "cost_eur": _yb["cost_eur"].sum()}
               if _yb.height and _yb["budget_eur"].null_count() == 0 else None)
else:
    _budget = None
_wait = _wait_prev = None
if tty is not None and not is_region:
    _tc = (pl.col("gemeente_code") == code, pl.col("urgentie") == "alle", pl.col("aanbieder_agb") == "alle")
    _wait, _wait_prev = _one(tty, *_tc, pl.col("year") == year), _one(tty, *_tc, pl.col("year") == year - 1)
layout.summary(summaries.levering(_total, _budget, _wait, _wait_prev, gem_name, year))


# iWmo code list LDT_RedenWijziging (basisschema iWmo 3.2): why a toewijzing was changed
REDEN_WIJZIGING = {
    "01": "Administratieve correctie (vervallen)", "02": "Cliënt overleden", "03": "Contractwijziging",
    "04": "Herbeoordeling: verlenging toewijzing", "05": "Herbeoordeling: verkorting toewijzing",
    "06": "Uitstroom naar ander domein", "07": "Verhuizing naar een andere gemeente", "08": "Wijziging leveringsvorm",
    "09": "Overstap naar andere aanbieder", "10": "Overgang naar nieuwe bekostigingssystematiek",
    "11": "Gemeentelijke herindeling", "12": "Geïnitieerd door de aanbieder", "13": "Verwijderd",
    "14": "Administratieve correctie",
}


def _hidden_caption(df: pl.DataFrame, unit: str) -> None:
    """Explain 'afgeschermd' under a table that has hidden cells."""
    if any(df[col].null_count() for col in df.columns):
        st.caption(protection.hidden_cells_caption(unit))


def _delivery(df: pl.DataFrame, label: str | None = None, by: str | None = None) -> pl.DataFrame:
    """The delivery columns as shown; hidden cells (fewer clients than the threshold) stay empty."""
    first = [pl.col(by).alias(label)] if by else [pl.col("year").alias("Jaar")]
    # the key figure next to the row label, so a phone shows it without scrolling sideways
    return df.select(*first, (pl.col("share_delivered") * 100).round(1).alias("Geleverd (%)"),
                     pl.col("clients").alias("Cliënten"),
                     pl.col("indicated_hours").round(0).alias("Geïndiceerde uren"),
                     pl.col("delivered_hours").round(0).alias("Geleverde uren"),
                     pl.col("gap_cost_eur").round(0).alias("Kosten niet-geleverde uren (€)"))


# --- Delivered share over time -----------------------------------------------------------------------
st.subheader("Geleverd deel van de geïndiceerde uren")
st.caption("Alleen zorg in natura: pgb-uren worden niet bij de gemeente gedeclareerd. Daarom zijn de geïndiceerde "
           "uren hier lager dan op Overzicht, waar ook pgb meetelt.")
_gy = snapshot.load_optional("marts.gemeente_year")
if _gy is not None and "clients_without_hours" in _gy.columns:  # who the hour figures leave out
    _nh = _gy.filter((pl.col("year") == year) & (pl.lit(is_region) | (pl.col("gemeente_code") == code)))
    st.caption(summaries.without_hours(_nh["clients_without_hours"].to_list(), gem_name, year))
show = _delivery(gem.filter((pl.col("wijk_code") == "alle") & (pl.col("aanbieder_agb") == "alle")).sort("year"))
fig = px.line(show.to_pandas(), x="Jaar", y="Geleverd (%)", markers=True)
charts.style_figure(fig, y_format=",.1f")
fig.update_yaxes(range=[0, 105])  # from 0: a drop of a few points should not look like a collapse
charts.show_chart(fig, show, name=f"geleverd_{code}", key="levering_trend", tables=["marts.delivery_year"],
                  title="Geleverd deel van de geïndiceerde uren", filters=filters)

# --- Per wijk and per aanbieder ----------------------------------------------------------------------
st.subheader(f"Per {'gemeente' if is_region else 'wijk'} en per aanbieder · {year}")
sel = gem.filter(pl.col("year") == year)
per_wijk = _delivery(sel.filter((pl.col("wijk_code") != "alle") & (pl.col("aanbieder_agb") == "alle"))
                     .sort("share_delivered", nulls_last=True), "Gemeente" if is_region else "Wijk", "wijk_name")
tables.table_with_downloads(per_wijk, key="levering_wijk_tabel", download_key="levering_wijk",
                            name=f"levering_wijk_{code}_{year}", title="Geleverd per wijk", filters=filters,
                            column_config=tables.localized_numbers(per_wijk), placeholder=nl.HIDDEN_CELL)
per_aanb = _delivery(sel.filter((pl.col("wijk_code") == "alle") & (pl.col("aanbieder_agb") != "alle"))
                     .sort("share_delivered", nulls_last=True), "Aanbieder", "aanbieder_name")
tables.table_with_downloads(per_aanb, key="levering_aanbieder_tabel", download_key="levering_aanbieder",
                            name=f"levering_aanbieder_{code}_{year}", title="Geleverd per aanbieder", filters=filters,
                            column_config=tables.localized_numbers(per_aanb), placeholder=nl.HIDDEN_CELL)
st.caption(protection.hidden_cells_caption())
layout.how_calculated(["marts.delivery_year"])

# --- Budget risk ---------------------------------------------------------------------------------------
if br is not None and not br.is_empty():
    st.subheader("Budgetrisico: kosten tegenover budget")
    if is_region:  # budgets and costs add up; a year without every gemeente's budget has no regio budget
        n_gem = br["gemeente_code"].n_unique()
        b = (br.group_by("year", "bron").agg(
            pl.when(pl.col("budget_eur").count() == n_gem).then(pl.col("budget_eur").sum()).alias("budget_eur"),
            *[pl.col(x).sum() for x in ("cost_eur", "cost_without_gap_eur")])
            .with_columns((pl.col("budget_eur") - pl.col("cost_without_gap_eur")).alias("headroom_without_gap_eur"))
            .sort("year"))
    else:
        b = br.filter(pl.col("gemeente_code") == code).sort("year")
    row = b.filter(pl.col("year") == year)
    if not row.is_empty():
        m1, m2, m3 = st.columns(3)
        m1.metric(f"Budget {year}", nl.fmt_eur(row["budget_eur"][0]))
        m2.metric("Kosten (geleverd)", nl.fmt_eur(row["cost_eur"][0]),
                  help="Alle declaratieregels van het jaar, ook die zonder bekende toewijzing; daarom iets hoger "
                       "dan de kosten op Overzicht, die per wijk van de toewijzing worden geteld.")
        m3.metric("Kosten als alles geleverd was", nl.fmt_eur(row["cost_without_gap_eur"][0]))
    bshow = b.select(pl.col("year").alias("Jaar"), pl.col("budget_eur").round(0).alias("Budget (€)"),
                     pl.col("cost_eur").round(0).alias("Kosten (€)"),
                     pl.col("cost_without_gap_eur").round(0).alias("Kosten als alles geleverd was (€)"),
                     pl.col("headroom_without_gap_eur").round(0).alias("Ruimte als alles geleverd was (€)"),
                     pl.col("bron").alias("Bron"))
    long = bshow.unpivot(index=["Jaar", "Bron"], on=["Budget (€)", "Kosten (€)", "Kosten als alles geleverd was (€)"],
                         variable_name="Reeks", value_name="Euro")
    fig = px.line(long.to_pandas(), x="Jaar", y="Euro", color="Reeks", line_dash="Bron", markers=True)
    charts.style_figure(fig, y_format=",.0f")
    fig.update_layout(legend_title_text="")
    charts.show_chart(fig, bshow, name=f"budgetrisico_{code}", key="levering_budget",
                      tables=["marts.budget_risk"], title="Budgetrisico", filters=filters,
                      extra="Stippellijn = prognose (marts.forecast, standaardscenario).")

# --- Time to start -------------------------------------------------------------------------------------
if tty is not None and not tty.is_empty():
    st.subheader("Wachttijd tot start van de zorg")
    if is_region:  # medians do not add up: the regio shows them per gemeente
        t = tty.filter((pl.col("urgentie") == "alle") & (pl.col("aanbieder_agb") == "alle")).sort("gemeente_code", "year")
    else:
        t = tty.filter((pl.col("gemeente_code") == code) & (pl.col("urgentie") == "alle")
                       & (pl.col("aanbieder_agb") == "alle")).sort("year")
    tshow = t.select(*([pl.col("gemeente_code").replace_strict(names, default=pl.col("gemeente_code")).alias("Gemeente")]
                       if is_region else []),
                     pl.col("year").alias("Jaar"), pl.col("starts").alias("Starts"),
                     pl.col("median_days_to_start").round(0).alias("Mediaan (dagen)"),
                     pl.col("p90_days_to_start").round(0).alias("90e percentiel (dagen)"))
    if is_region:
        fig = px.line(tshow.to_pandas(), x="Jaar", y="Mediaan (dagen)", color="Gemeente", markers=True,
                      color_discrete_map=charts.gemeente_colors(dy))
    else:
        long = tshow.unpivot(index="Jaar", on=["Mediaan (dagen)", "90e percentiel (dagen)"],
                             variable_name="Maat", value_name="Dagen")
        fig = px.line(long.to_pandas(), x="Jaar", y="Dagen", color="Maat", markers=True)
    charts.style_figure(fig, y_format=",.0f")
    charts.show_chart(fig, tshow, name=f"wachttijd_{code}", key="levering_wachttijd",
                      tables=["marts.time_to_start_year", "marts.time_to_start"], title="Wachttijd tot start",
                      filters=filters)
    per = (scoped(tty).filter((pl.col("year") == year) & (pl.col("aanbieder_agb") != "alle")
                              & (pl.lit(not is_region) | (pl.col("urgentie") == "alle")))
           .sort("aanbieder_agb")
           .select(pl.col("aanbieder_agb").replace_strict(agb_names, default=pl.col("aanbieder_agb")).alias("Aanbieder"),
                   pl.col("starts").alias("Starts"),
                   pl.col("median_days_to_start").round(0).alias("Mediaan (dagen)"),
                   pl.col("p90_days_to_start").round(0).alias("90e percentiel (dagen)")))
    st.caption(f"Per aanbieder in {year}" + (" en per gemeente" if is_region else ""))
    st.dataframe(per, hide_index=True, key="levering_wachttijd_aanbieder", column_config=tables.localized_numbers(per),
                 placeholder=nl.HIDDEN_CELL)
    _hidden_caption(per, "starts")
    exports.download_buttons(per, name=f"wachttijd_aanbieder_{code}_{year}", key="levering_wt_aanb",
                             title="Wachttijd per aanbieder", filters=filters)

# --- Stops -----------------------------------------------------------------------------------------------
if stops is not None and not stops.is_empty():
    st.subheader("Beëindigde zorg naar reden")
    s = (scoped(stops).group_by("year", "reden", "reden_naam")
         .agg(protection.partial_sum("stops")).sort("year", "reden"))
    sshow = s.select(pl.col("year").alias("Jaar"), pl.col("reden").alias("Code"),
                     pl.col("reden_naam").alias("Reden"), pl.col("stops").alias("Beëindigingen"))
    # one colour per reden on every gemeente's chart (Plotly would colour them in order of appearance)
    reasons = stops.select("reden", "reden_naam").unique().sort("reden")["reden_naam"].to_list()
    palette = px.colors.qualitative.Safe + px.colors.qualitative.Pastel
    reason_colors = {r: palette[i % len(palette)] for i, r in enumerate(dict.fromkeys(reasons))}
    # hidden cells are left out of the bars (a missing value would restart the stack at 0)
    fig = px.bar(sshow.drop_nulls("Beëindigingen").to_pandas(), x="Jaar", y="Beëindigingen", color="Reden",
                 color_discrete_map=reason_colors, category_orders={"Reden": list(reason_colors)})
    charts.style_figure(fig)
    charts.show_chart(fig, sshow, name=f"stops_{code}", key="levering_stops", tables=["marts.care_stops"],
                      title="Beëindigde zorg naar reden", filters=filters,
                      extra="Afgeschermde wijkcijfers tellen in de jaartotalen niet mee (ondergrens).")

# --- Herindicaties, durations, product mix -----------------------------------------------------------------
if her is not None and not her.is_empty():
    st.subheader("Herindicaties")
    h = (scoped(her).group_by("year", "reden_wijziging")
         .agg(protection.partial_sum("herindicaties"), protection.partial_sum("lowered"), protection.partial_sum("hours_per_week_before"),
              protection.partial_sum("hours_per_week_after"),
              (pl.col("mean_transition_days") * pl.col("herindicaties")).sum().alias("_t"))
         .with_columns((pl.col("_t") / pl.col("herindicaties")).round(0).alias("transition"))
         .sort("year", "reden_wijziging"))
    reden = pl.col("reden_wijziging")
    hshow = h.select(pl.col("year").alias("Jaar"),
                     pl.concat_str(reden, pl.lit(" "), reden.replace_strict(REDEN_WIJZIGING, default=""))
                     .str.strip_chars().alias("Reden wijziging"),
                     pl.col("herindicaties").alias("Herindicaties"), pl.col("lowered").alias("Waarvan minder uren"),
                     pl.col("hours_per_week_before").round(1).alias("Uren per week vóór"),
                     pl.col("hours_per_week_after").round(1).alias("Uren per week na"),
                     pl.col("transition").alias("Overgang (dagen, gem.)"))
    st.dataframe(hshow, hide_index=True, key="levering_herindicaties", column_config=tables.localized_numbers(hshow),
                 placeholder=nl.HIDDEN_CELL)
    _hidden_caption(hshow, "herindicaties")
    exports.download_buttons(hshow, name=f"herindicaties_{code}", key="levering_her", title="Herindicaties",
                             filters=filters)
    layout.how_calculated(["marts.herindicaties"], "Reden wijziging: de iWmo-codelijst RedenWijziging; 03 = "
                          "contractwijziging (bijvoorbeeld een nieuw normenkader).")

cd, cp = st.columns(2)
if dur is not None and not dur.is_empty() and not is_region:  # shares per gemeente do not add up
    with cd:
        st.subheader("Duur van indicaties")
        d = dur.filter(pl.col("gemeente_code") == code).sort("year", "duration_class")
        dshow = d.select(pl.col("year").alias("Jaar"), pl.col("duration_class").alias("Duur"),
                         pl.col("indications").alias("Indicaties"),
                         (pl.col("share_of_indications") * 100).round(1).alias("Aandeel (%)"))
        fig = px.bar(dshow.drop_nulls("Aandeel (%)").to_pandas(), x="Jaar", y="Aandeel (%)", color="Duur")
        charts.style_figure(fig, y_format=",.1f")
        charts.show_chart(fig, dshow, name=f"duur_{code}", key="levering_duur", tables=["marts.indication_durations"],
                          title="Duur van indicaties", filters=filters,
                          extra="Een afgeschermde duurklasse ontbreekt in de staaf, die dan niet tot 100% komt.")
if adopt is not None and not adopt.is_empty() and not is_region:
    with cp:
        st.subheader("Gebruik per product")
        a = adopt.filter(pl.col("gemeente_code") == code).sort("year", "product_code")
        ashow = a.select(pl.col("year").alias("Jaar"), pl.col("product_name").alias("Product"),
                         pl.col("product_clients").alias("Cliënten"),
                         (pl.col("share_of_clients_product") * 100).round(1).alias("Aandeel cliënten (%)"))
        fig = px.line(ashow.to_pandas(), x="Jaar", y="Aandeel cliënten (%)", color="Product", markers=True)
        charts.style_figure(fig, y_format=",.1f")
        charts.show_chart(fig, ashow, name=f"producten_{code}", key="levering_product", tables=["marts.product_adoption"],
                          title="Gebruik per product", filters=filters)

# --- Waiting list: analysts only ----------------------------------------------------------------------------
if access.dashboard_mode() != "council":
    wl = snapshot.load_optional("marts.waiting_list")
    if wl is not None and not wl.is_empty():
        st.subheader("Wachtlijst (analisten)")
        w = scoped(wl).filter(pl.col("year") == year)
        n_days = int(wl["waiting_days"][0])
        last = w["month_end"].max()
        wshow = (w.filter(pl.col("month_end") == last)
                 .select(*([pl.col("gemeente_code").replace_strict(names, default=pl.col("gemeente_code"))
                            .alias("Gemeente")] if is_region else []),
                         pl.col("urgentie").alias("Urgentie"), pl.col("age_band").alias("Leeftijd"),
                         pl.col("waiting").alias("Wachtend"), pl.col("median_days_waiting").round(0).alias("Mediaan dagen wachtend"))
                 .sort(*(["Gemeente"] if is_region else []), "Urgentie", "Leeftijd"))
        st.caption(f"Toegewezen maar na {n_days} dagen nog niet gestart, op {nl.fmt_date(last)}.")
        st.dataframe(wshow, hide_index=True, key="levering_wachtlijst", column_config=tables.localized_numbers(wshow),
                     placeholder=nl.HIDDEN_CELL)
        _hidden_caption(wshow, "wachtenden")
        exports.download_buttons(wshow, name=f"wachtlijst_{code}_{year}", key="levering_wl", title="Wachtlijst",
                                 filters=filters)
        layout.how_calculated(["marts.waiting_list"], f"De termijn van {n_days} dagen is een instelling van de "
                              "beheerder (HBH_WAITING_DAYS).")
