"""Wijken: a choropleth map of the wijken next to a sortable table, a ranked bar chart, and the
profile of one wijk (trend, age, products, aanbieders) chosen in a selectbox or by clicking the map."""

from __future__ import annotations

import json

import plotly.express as px
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from hbh_monitor import geo as hgeo

from dashboards import charts, exports, layout, protection, snapshot, summaries, tables
from dashboards import formatting as nl

layout.page_header(
    "Wijken",
    "Gebruik van hulp bij het huishouden per wijk: waar is het gebruik hoog, ook als je rekening "
    "houdt met het aantal (oudere) inwoners?",
)

wy = snapshot.load("marts.wijk_year")
gy = snapshot.load("marts.gemeente_year")
if wy.is_empty():
    st.info("De gepubliceerde gegevens bevatten nog geen cijfers per wijk.")
    st.stop()

f1, f2 = st.columns([2, 1])
with f1:
    code = layout.gemeente_select(wy, key="wijken_gemeente")
scope = wy if code == nl.REGIO else wy.filter(pl.col("gemeente_code") == code)
with f2:
    year = layout.year_select(scope["year"].to_list(), key="wijken_jaar")
name = layout.gemeente_label(wy, code)
all_gemeenten = code == nl.REGIO

sel = protection.protect(scope.filter(pl.col("year") == year))
layout.incomplete_year_note(year)

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

# --- Measure, map and table -------------------------------------------------------------------------------
base_year = snapshot.baseline_year()
MEASURES = {
    "Per 1.000 inwoners": "clients_per_1000",
    "Per 1.000 inwoners 75+": "clients_per_1000_75plus",
    f"Groei t.o.v. {base_year}": "growth_vs_baseline",
}
measure = st.radio("Maatstaf (kaart en grafiek)", list(MEASURES), horizontal=True, key="wijken_maatstaf")
field = MEASURES[measure]
y_label = nl.LABELS[field]
is_growth = field == "growth_vs_baseline"
if is_growth:  # growth as a percentage on screen
    sel = sel.with_columns((pl.col(field) * 100).alias("_value"))
else:
    sel = sel.with_columns(pl.col(field).cast(pl.Float64).alias("_value"))
value_fmt = (lambda v: nl.fmt_pct(v / 100, signed=True)) if is_growth else nl.fmt_rate

# The wijk whose profile is shown: a click on the map (last selection event) sets the selectbox.
codes_sorted = sel.sort("clients_per_1000", descending=True, nulls_last=True)["wijk_code"].to_list()
labels = dict(zip(sel["wijk_code"].to_list(), sel["_label"].to_list()))
event = st.session_state.get("wijken_kaart")
points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else []


def _clicked_code(p: dict) -> str | None:
    """The wijk of a selected map point: its location, else looked up by trace and point index."""
    if p.get("location") in labels:
        return p["location"]
    locs = st.session_state.get("_wijken_map_locs") or []
    curve, idx = p.get("curve_number"), p.get("point_index", p.get("point_number"))
    if isinstance(curve, int) and isinstance(idx, int) and curve < len(locs) and idx < len(locs[curve]):
        return locs[curve][idx] if locs[curve][idx] in labels else None
    return None


clicked = next((code for code in map(_clicked_code, points) if code), None)
if clicked and st.session_state.get("_wijken_last_click") != clicked:
    st.session_state["_wijken_last_click"] = clicked
    st.session_state["wijken_wijk"] = clicked
if st.session_state.get("wijken_wijk") not in labels:
    st.session_state["wijken_wijk"] = codes_sorted[0] if codes_sorted else None

st.subheader(f"Cijfers per wijk · {name} · {year}")
geo = snapshot.load_optional("meta.wijk_geometry")
# Reference: the gemeente (or regio) as a whole, same year (map summary and the bar chart's dashed line).
ref_rows = protection.for_gemeente(gy, code).filter(pl.col("year") == year)
ref = ref_rows[field][0] if ref_rows.height and field in ref_rows.columns else None
if ref is not None and is_growth:
    ref = ref * 100

# map with a short summary beside it; the table below at full width (beside the map it showed 4 of 11 columns)
col_map, col_side = st.columns([3, 2])
col_table = st.container()
ranked = sel.filter(pl.col("_value").is_not_null()).sort("_value", descending=True)
layout.summary(summaries.wijken(ranked["_label"].to_list(), ranked["_value"].to_list(), ref,
                                "de regio" if all_gemeenten else name, year, y_label, value_fmt))
with col_side:
    st.metric(f"{'Regio' if all_gemeenten else name} als geheel", value_fmt(ref) if ref is not None else "–",
              help=f"{y_label} in {year} voor {'de regio' if all_gemeenten else 'de gemeente'} als geheel.")
    if ranked.height >= 2:
        k = min(5, ranked.height // 2)

        def _lines(rows: pl.DataFrame) -> str:
            return "\n".join(f"- {lab}: **{value_fmt(v)}**" for lab, v in zip(rows["_label"], rows["_value"]))

        st.markdown(f"**Hoogste {k}**\n\n" + _lines(ranked.head(k)))
        st.markdown(f"**Laagste {k}**\n\n" + _lines(ranked.tail(k).reverse()))
    if sel.height > ranked.height:
        st.caption(f"{sel.height - ranked.height} van de {sel.height} wijken afgeschermd of zonder inwoners.")
with col_map:
    shapes = geo.filter(pl.col("wijk_code").is_in(list(labels))) if geo is not None else None
    if shapes is None or shapes.is_empty():
        st.info(
            "Geen wijkgrenzen in de gepubliceerde gegevens: zet de CBS wijk- en buurtkaart (GeoJSON, "
            "wijken) in `landing/geo/` en draai de pipeline opnieuw.",
            icon=":material/map:",
        )
    else:
        # An SVG map (Plotly geo, drawn by d3-geo): a few hundred paths, quick to draw without a GPU (a WebGL
        # map is drawn in software there, seconds in headless Chromium), no tiles or fonts from the internet.
        features = []
        for g in shapes["geojson"].to_list():
            f = json.loads(g)
            features.append({**f, "geometry": hgeo.d3_winding(f["geometry"])})
        by_code = {f["id"]: f for f in features}

        def gj_of(codes: list[str]) -> dict:
            """Only the trace's own wijken: each trace carries its GeoJSON to the browser."""
            return {"type": "FeatureCollection", "features": [by_code[k] for k in codes if k in by_code]}

        m = sel.filter(pl.col("wijk_code").is_in(shapes["wijk_code"].to_list()))
        shown = m.filter(pl.col("_value").is_not_null())
        hidden_m = m.filter(pl.col("_value").is_null())
        fig_map = go.Figure()

        def _two_lines(label: str) -> str:
            """A long wijk name on two lines, broken at the space or hyphen nearest its middle (narrow wijken)."""
            cuts = [i for i, ch in enumerate(label) if ch in " -"]
            if len(label) <= 10 or not cuts:
                return label
            i = min(cuts, key=lambda c: abs(c - len(label) / 2))
            return label[: i + 1].rstrip() + "<br>" + label[i + 1:].lstrip()

        # Where you are: the gemeente borders (edges no other wijk of the gemeente shares) as lines. A line
        # trace comes first on purpose: Plotly decides from the first trace of a geo map whether it needs its
        # world map (from cdn.plot.ly, offline not there); a choropleth first would make it ask for one.
        by_gem: dict[str, list] = {}
        for f in features:
            by_gem.setdefault(f["properties"].get("gemeente_code"), []).append(f["geometry"])
        for gcode, geoms in by_gem.items():
            blon, blat = hgeo.segments_to_lines(hgeo.border_segments(geoms))
            fig_map.add_trace(go.Scattergeo(lon=blon, lat=blat, mode="lines", line=dict(color="#222", width=2.5),
                                            hoverinfo="skip", showlegend=False, name=f"grens {gcode}"))
        if hidden_m.height:
            fig_map.add_trace(go.Choropleth(
                geojson=gj_of(hidden_m["wijk_code"].to_list()), locations=hidden_m["wijk_code"].to_list(), z=[0] * hidden_m.height,
                colorscale=[[0, "#d9d9d9"], [1, "#d9d9d9"]], showscale=False, marker_line_color="white",
                marker_line_width=1, featureidkey="id", name="afgeschermd",
                text=[
                    f"{lab}<br>{y_label}: " + ("afgeschermd" if hid else "geen gegevens")
                    for lab, hid in zip(
                        hidden_m["_label"].to_list(),
                        hidden_m["clients_suppressed"].to_list() if "clients_suppressed" in hidden_m.columns
                        else hidden_m["clients"].is_null().to_list(),
                    )
                ],
                hovertemplate="%{text}<extra></extra>",
            ))
        if shown.height:
            fig_map.add_trace(go.Choropleth(
                geojson=gj_of(shown["wijk_code"].to_list()), locations=shown["wijk_code"].to_list(), z=shown["_value"].to_list(),
                colorscale="RdBu_r" if is_growth else "Blues", zmid=0 if is_growth else None,
                marker_line_color="white", marker_line_width=1, featureidkey="id",
                # the colour scale under the map, not on it (on a phone a side scale covered the wijken)
                colorbar=dict(title=dict(text="%" if is_growth else "per 1.000", side="top"), thickness=12,
                              tickformat=",~f", orientation="h", x=0, xanchor="left", y=-0.07, yanchor="top",
                              len=1, lenmode="fraction"),
                text=[f"{lab}<br>{y_label}: {value_fmt(v)}" for lab, v in zip(shown["_label"].to_list(), shown["_value"].to_list())],
                hovertemplate="%{text}<extra></extra>",
            ))
        st.session_state["_wijken_map_locs"] = [list(tr.locations or []) for tr in fig_map.data]
        # The names, as text on the map itself (SVG text: no font files from the internet): each gemeente's
        # name above its wijken for the whole region (wijk names would crowd), else every wijk's name.
        # a white outline round the letters: dark text legible on the darkest blue as on white
        halo = "-1px -1px 0 #fff, 1px -1px 0 #fff, -1px 1px 0 #fff, 1px 1px 0 #fff, 0 0 3px #fff"
        if all_gemeenten:
            gnames = dict(zip(sel["gemeente_code"].to_list(), sel["gemeente_name"].to_list()))
            tops = []
            for gcode, geoms in by_gem.items():
                pts = [p for g in geoms for r in hgeo.rings(g) for p in r]
                tops.append(((min(p[0] for p in pts) + max(p[0] for p in pts)) / 2, max(p[1] for p in pts),
                             f"<b>{gnames.get(gcode, gcode)}</b>"))
            fig_map.add_trace(go.Scattergeo(
                lon=[t[0] for t in tops], lat=[t[1] for t in tops], text=[t[2] for t in tops], mode="text",
                textposition="top center", textfont=dict(size=12, color="#111", shadow=halo),
                hoverinfo="skip", showlegend=False, name="gemeenten"))
        else:
            pts = [(hgeo.label_point(f["geometry"]), f) for f in features if f["id"] in labels]
            pts = [(pt, f) for pt, f in pts if pt is not None]
            fig_map.add_trace(go.Scattergeo(
                lon=[pt[0] for pt, _ in pts], lat=[pt[1] for pt, _ in pts],
                text=[_two_lines(f["properties"].get("wijk_name") or f["id"]) for _, f in pts], mode="text",
                textposition="middle center", textfont=dict(size=10, color="#111", shadow=halo),
                hoverinfo="skip", showlegend=False, name="wijknamen"))
        fig_map.update_layout(
            # fitted to the wijken at whatever width the browser gives the chart; no base map (works offline)
            geo=dict(fitbounds="locations", visible=False, projection_type="mercator", bgcolor="rgba(0,0,0,0)"),
            margin=dict(l=0, r=0, t=0, b=90), height=540, separators=",.",
            # No dragging or zooming: a drag or a swipe over the map scrolls the page. Streamlit replaces a
            # False dragmode by "pan" on a chart that reports selections; "orbit" (a 3-D mode) gives a geo map
            # no drag handler at all, while hover and click (the wijk profile) still work.
            dragmode="orbit",
        )
        if ranked.height:
            top, low = ranked.row(0, named=True), ranked.row(-1, named=True)
            map_alt = (f"Kaart van {name} met {y_label.lower()} per wijk in {year}. Hoogste: {top['_label']} "
                       f"({value_fmt(top['_value'])}); laagste: {low['_label']} ({value_fmt(low['_value'])}). "
                       "De tabel hieronder geeft alle wijken.")
        else:
            map_alt = f"Kaart van {name}: alle wijken afgeschermd of zonder inwoners in {year}."
        charts.plot(
            fig_map, key="wijken_kaart", on_select="rerun", selection_mode="points",
            # no zoom or pan: the map shows the wijken as fitted, a scroll over it scrolls the page
            config=charts.PLOTLY_CONFIG | {"scrollZoom": False, "modeBarButtonsToRemove": [
                *charts.PLOTLY_CONFIG["modeBarButtonsToRemove"], "zoomInGeo", "zoomOutGeo", "resetGeo", "pan2d"]},
            title=f"Kaart: {y_label} per wijk, {name} {year}", alt=map_alt, show_title=False,
        )
        map_data = nl.display_frame(m.sort("wijk_code"), (["gemeente_name"] if all_gemeenten else []) + ["wijk_name", "wijk_code", field])
        exports.download_buttons(map_data, name=f"kaart-{nl.slug(measure)}-{name}-{year}", key="wijken_kaart_dl",
                                 title=f"{y_label} per wijk (kaart)", filters=f"Gemeente: {name}; jaar: {year}")
        layout.how_calculated(
            ["marts.wijk_year"],
            "Wijkgrenzen: `meta.wijk_geometry` (CBS wijk- en buurtkaart of de demokaart in `landing/geo/`), "
            "gekoppeld op de CBS-wijkcode. De kaart gebruikt geen achtergrondkaart van internet."
            + (f" Groei = cliënten {year} / cliënten {base_year} − 1." if is_growth else ""),
        )
        st.caption(
            f"{y_label} in {year}. Klik op een wijk voor het profiel hieronder. Grijs: afgeschermd of "
            "zonder inwoners." + (f" Geen omtrek voor {len(labels) - shapes.height} wijk(en)." if shapes.height < len(labels) else "")
        )
with col_table:
    # the wijk first (pinned), then the key figures, so a phone shows them without scrolling sideways
    table_cols = ["wijk_name"] + (["gemeente_name"] if all_gemeenten else []) + [
        "clients_per_1000",
        "clients",
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
    # (the publishing step flags real suppression in new_clients_suppressed; a NULL without it is "not applicable")
    if "new_clients_suppressed" in sel.columns:
        no_inflow = sel["new_clients"].null_count() == sel.height and not sel["new_clients_suppressed"].any()
    else:
        no_inflow = year == int(wy["year"].min()) and sel["new_clients"].null_count() == sel.height
    if no_inflow:
        table_cols.remove("new_clients")
    table = nl.display_frame(
        sel.sort("clients_per_1000", descending=True, nulls_last=True), table_cols
    )
    st.dataframe(
        table,
        hide_index=True,
        column_config=tables.number_column_config(table),
        placeholder=nl.HIDDEN_CELL,
        height=38 + 35 * min(table.height, 60),  # up to 60 wijken visible without inner scrolling
        key="wijken_tabel",
    )
    st.caption("Klik op een kolomkop om te sorteren. " + protection.hidden_cells_caption())
    if no_inflow:
        st.caption(f"Nieuwe cliënten zijn voor het eerste jaar van de gegevens ({year}) niet te bepalen.")
    filters = f"Gemeente: {name}; jaar: {year}"
    exports.download_buttons(
        table, name=f"wijken-{name}-{year}", key="wijken_tabel_dl", title="Cijfers per wijk", filters=filters
    )
    layout.how_calculated(["marts.wijk_year"])

# --- Bar chart ----------------------------------------------------------------------------------------
st.subheader(f"{y_label} per wijk")

shown = sel.filter(pl.col(field).is_not_null()).sort(field)
hidden = sel.filter(pl.col(field).is_null())["_label"].sort().to_list()
chart = nl.display_frame(
    shown, (["gemeente_name"] if all_gemeenten else []) + ["wijk_name", "wijk_code", field]
).with_columns(shown["_label"].alias("Label"))

if chart.is_empty():
    st.info("Voor deze selectie zijn geen wijkcijfers te tonen (alle wijken afgeschermd of zonder inwoners).")
else:
    fig = px.bar(
        chart.to_pandas(),
        x=y_label,
        y="Label",
        orientation="h",
        color="Gemeente" if all_gemeenten else None,
        color_discrete_map=charts.gemeente_colors(gy),
        text=y_label,
        hover_data={"Wijkcode": True, "Label": False},
    )
    fig.update_traces(
        texttemplate="%{x:,.1f}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate="%{y}<br>" + y_label + ": %{x:,.1f}<extra></extra>",
    )
    charts.style_figure(fig, y_format=",.1f", x_years=False, height=140 + 28 * chart.height)
    fig.update_yaxes(categoryorder="total ascending", title=None, rangemode="normal")
    fig.update_xaxes(title=y_label, tickformat=",~f", hoverformat=",.1f", rangemode="tozero")
    fig.update_layout(legend=dict(y=1.0, yanchor="bottom", title_text=""), margin=dict(t=60))
    if ref is not None:  # dashed reference line; its value goes in the axis title (no overlap)
        # layer below: the line runs behind the bars and their value labels instead of through them
        fig.add_vline(x=ref, line_dash="dash", line_color="#444", line_width=1, layer="below")
        fig.update_xaxes(title=f"{y_label}  ·  stippellijn: {name} {value_fmt(ref)}")
    charts.show_chart(
        fig,
        chart.drop("Label"),
        name=f"wijken-{nl.slug(measure)}-{name}-{year}",
        key="wijken_staaf",
        tables=["marts.wijk_year", "marts.gemeente_year"],
        title=f"{y_label} per wijk",
        filters=filters,
        extra="De stippellijn is het cijfer voor de gemeente als geheel"
        + (" (regio: opgeteld en opnieuw berekend)." if all_gemeenten else "."),
    )
ref_note = protection.hidden_note(ref_rows)
if ref_note:
    st.caption(ref_note)
if hidden:
    st.caption(f"Niet in de grafiek (afgeschermd of geen inwoners): {', '.join(hidden)}.")

# --- Profile of one wijk ---------------------------------------------------------------------------------------
st.divider()
wijk = st.selectbox(
    "Wijkprofiel", codes_sorted, format_func=lambda w: labels.get(w, w), key="wijken_wijk",
    help="Of klik op een wijk op de kaart.",
)
if wijk is not None:
    hist = protection.protect(wy.filter(pl.col("wijk_code") == wijk)).sort("year")
    row = hist.filter(pl.col("year") == year)
    r = row.row(0, named=True) if row.height else {}
    wname = labels.get(wijk, wijk)
    gem_code = r.get("gemeente_code") or hist["gemeente_code"][0]
    gem_name = layout.gemeente_label(wy, gem_code)
    st.subheader(f"Profiel · {wname} · {year}")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Cliënten", nl.fmt_count(r.get("clients")))
    m2.metric("Per 1.000 inwoners", nl.fmt_rate(r.get("clients_per_1000")))
    m3.metric("Per 1.000 inwoners 75+", nl.fmt_rate(r.get("clients_per_1000_75plus")),
              help="Cliënten van 75 jaar en ouder per 1.000 inwoners van 75 jaar en ouder.")
    m4.metric(f"Groei t.o.v. {base_year}", nl.fmt_pct(r.get("growth_vs_baseline"), signed=True))
    pfilters = f"Wijk: {wname} ({wijk})"

    p1, p2 = st.columns(2)
    with p1:  # trend: the wijk against its gemeente
        st.markdown("**Cliënten per 1.000 inwoners: wijk en gemeente**")
        g_hist = protection.protect(gy.filter(pl.col("gemeente_code") == gem_code)).sort("year")
        trend = pl.concat([
            hist.select(pl.lit(wname).alias("Gebied"), pl.col("year"), pl.col("clients"), pl.col("clients_per_1000")),
            g_hist.select(pl.lit(f"{gem_name} (gemeente)").alias("Gebied"), pl.col("year"), pl.col("clients"),
                          pl.col("clients_per_1000")),
        ])
        tdata = nl.display_frame(trend, ["Gebied", "year", "clients", "clients_per_1000"])
        fig_t = px.line(tdata.to_pandas(), x="Jaar", y="Cliënten per 1.000 inwoners", color="Gebied", markers=True)
        charts.style_figure(fig_t, y_format=",.1f", height=320)
        fig_t.update_layout(legend_title_text="", xaxis_title=None)
        charts.mark_policy_years(fig_t, tdata["Jaar"].to_list(), base_year)
        charts.show_chart(fig_t, tdata, name=f"wijkprofiel-trend-{wname}", key="wijken_profiel_trend",
                          tables=["marts.wijk_year", "marts.gemeente_year"], title="Trend wijk en gemeente", filters=pfilters)
    with p2:  # age: per wijk when a wijk × age mart is published, else the gemeente's
        ar = snapshot.load_optional("marts.age_rates")
        if ar is not None and "wijk_code" in ar.columns:
            age = protection.protect(ar.filter((pl.col("wijk_code") == wijk) & (pl.col("year") == year)))
            age_src, age_title = "marts.age_rates", f"Cliënten per 1.000 inwoners naar leeftijd · {wname}"
        else:
            ay = snapshot.load("marts.age_year")
            age = protection.protect(ay.filter((pl.col("gemeente_code") == gem_code) & (pl.col("year") == year)))
            age_src, age_title = "marts.age_year", f"Cliënten per 1.000 inwoners naar leeftijd · {gem_name} (gemeente)"
        st.markdown(f"**{age_title}**")
        if age.is_empty():
            st.info("Geen leeftijdscijfers voor deze wijk.")
        elif protection.all_hidden(age, ["clients"]):
            st.info(protection.ALL_HIDDEN_SENTENCE)
        else:
            adata = nl.display_frame(age.sort("age_band"), ["age_band", "clients", "clients_per_1000"])
            rate = "Cliënten per 1.000 inwoners"
            # a hidden band is drawn as an empty bar that says so, not as a gap that reads as 0
            fig_a = px.bar(adata.with_columns(pl.col(rate).fill_null(0)).to_pandas(), x="Leeftijd", y=rate,
                           color="Leeftijd", color_discrete_map=dict(zip(nl.AGE_BANDS, charts.AGE_COLORS)),
                           text=[nl.fmt_rate(v) if v is not None else "afgeschermd" for v in adata[rate].to_list()])
            charts.style_figure(fig_a, y_format=",.1f", x_years=False, height=320)
            fig_a.update_traces(textposition="outside", cliponaxis=False)
            fig_a.update_layout(showlegend=False, xaxis_title=None)
            charts.show_chart(fig_a, adata, name=f"wijkprofiel-leeftijd-{wname}-{year}", key="wijken_profiel_leeftijd",
                              tables=[age_src], title=age_title, filters=f"{pfilters}; jaar: {year}")

    p3, p4 = st.columns(2)
    with p3:  # products and leveringsvorm
        det = snapshot.load_optional("marts.wijk_year_detail")
        st.markdown(f"**Producten en leveringsvorm · {wname}**")
        if det is None:
            st.caption("Product- en leveringsvormcijfers per wijk zijn niet gepubliceerd (`marts.wijk_year_detail`).")
        else:
            d = det.filter((pl.col("wijk_code") == wijk) & (pl.col("year") == year))
            parts = {
                "clients_weekly": "Wekelijkse hulp", "clients_biweekly": "Eens per twee weken", "clients_maatwerk": "Maatwerk",
                "clients_zin": "Zorg in natura", "clients_pgb": "Pgb",
            }
            have = [k for k in parts if k in d.columns]
            if d.is_empty() or not have:
                st.info("Geen productcijfers voor deze wijk en dit jaar.")
            elif protection.all_hidden(d, have):
                st.info(protection.ALL_HIDDEN_SENTENCE)
            else:
                prows = [
                    {"Onderdeel": parts[k], "Cliënten": d[k][0],
                     "Soort": "Leveringsvorm" if k in ("clients_zin", "clients_pgb") else "Product"}
                    for k in have
                ]
                pdata = pl.DataFrame(prows, schema={"Onderdeel": pl.String, "Cliënten": pl.Int64, "Soort": pl.String})
                fig_p = px.bar(pdata.with_columns(pl.col("Cliënten").fill_null(0)).to_pandas(), x="Cliënten",
                               y="Onderdeel", color="Soort", orientation="h",
                               text=[nl.fmt_count(v) for v in pdata["Cliënten"].to_list()])
                charts.style_figure(fig_p, y_format=",d", x_years=False, height=300)
                fig_p.update_traces(textposition="outside", cliponaxis=False)
                # room to the right for the outside labels of the longest bar
                longest = pdata["Cliënten"].max() or 0
                fig_p.update_xaxes(tickformat=",d", range=[0, max(longest, 1) * 1.18])
                fig_p.update_yaxes(title=None, rangemode="normal")
                fig_p.update_layout(legend_title_text="")
                charts.show_chart(fig_p, pdata, name=f"wijkprofiel-producten-{wname}-{year}", key="wijken_profiel_product",
                                  tables=["marts.wijk_year_detail"], title="Producten en leveringsvorm",
                                  filters=f"{pfilters}; jaar: {year}",
                             extra=f"Een cliënt kan meerdere producten hebben. {protection.hidden_cells_caption()}")
    with p4:  # aanbieders: only what is published per wijk
        st.markdown(f"**Aanbieders · {wname}**")
        wa = snapshot.load_optional("marts.aanbieder_wijk_year")
        if wa is None:
            st.caption(
                "Cijfers per aanbieder per wijk zijn niet gepubliceerd. Bevindingen per aanbieder staan op "
                "de analistenpagina *Aanbieders & declaraties*."
            )
        else:
            a = wa.filter((pl.col("wijk_code") == wijk) & (pl.col("year") == year)).sort("cost_eur", descending=True, nulls_last=True)
            if "clients_suppressed" in a.columns:
                a = a.with_columns(pl.when(pl.col("clients_suppressed")).then(None).otherwise(pl.col("clients_share")).alias("clients_share")) if "clients_share" in a.columns else a
            cols = [x for x in ("aanbieder_name", "clients", "declared_hours", "cost_eur") if x in a.columns]
            adf = nl.display_frame(a, cols).rename({"aanbieder_name": "Aanbieder"}, strict=False)
            tables.table_with_downloads(adf, key="wijken_profiel_aanbieders",
                                        name=f"wijkprofiel-aanbieders-{wname}-{year}", title="Aanbieders in de wijk",
                                        filters=f"{pfilters}; jaar: {year}", placeholder=nl.HIDDEN_CELL,
                                        column_config={**tables.number_column_config(adf),
                                                       "Aanbieder": st.column_config.TextColumn("Aanbieder", width="medium")})
            layout.how_calculated(["marts.aanbieder_wijk_year"])
