"""Eigen bijdrage en inkomen: how use grew per income class since the abonnementstarief (2019), the
difference in differences between the class whose contribution fell most (hoog) and least (laag), and where
the parameters of the 2027 income-dependent eigen bijdrage come from."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards import charts, layout, snapshot, summaries, tables
from dashboards import formatting as nl

layout.page_header(
    "Eigen bijdrage en inkomen",
    "Wie gebruikt hulp bij het huishouden naar inkomen, hoe groeide het gebruik per inkomensklasse sinds het "
    "abonnementstarief, en welke groep gaat een inkomensafhankelijke eigen bijdrage (mogelijk vanaf 2027) raken?",
)

CLASSES = (("laag", "Laag inkomen", "#59a14f"), ("midden", "Midden inkomen", "#f28e2b"), ("hoog", "Hoog inkomen", "#e15759"),
           ("onbekend", "Onbekend", "#bab0ac"))
SOURCES = """**Waar de uitgangspunten vandaan komen**

- **Inkomensklasse per cliënt:** uit de eigen cliëntregistratie van de gemeente (`clienten/`, kolom
  `inkomensklasse`: laag, midden, hoog). Laag = tot ongeveer 185% van het sociaal minimum (circa € 30.000
  huishoudinkomen): voor deze groep veranderde de eigen bijdrage weinig met het abonnementstarief.
- **Reactie op het abonnementstarief:** de landelijke monitor abonnementstarief (Significant, 2021) zag het aantal
  cliënten hulp bij het huishouden stijgen van 390.950 (2018) naar 496.120 (2020), vooral bij midden- en hogere
  inkomens (+80%); CBS zag in 2023 de inkomens boven € 40.000 verdubbelen tegen +5% onder € 20.000.
- **Inkomensafhankelijke eigen bijdrage:** vanaf ongeveer € 30.000 huishoudinkomen (185% van het sociaal minimum),
  oplopend tot een maximum per maand (genoemd: € 225; in de pers € 255 vanaf circa € 66.000); volgens de
  raadsstukken mogelijk vanaf 2027.
- **Inkomensverdeling zonder inkomensklasse per cliënt:** CBS-tabel 85043NED "Wmo-cliënten; type
  maatwerkvoorziening, persoonskenmerken, regio" (per gemeente, afgerond op 5), in `landing/cbs_wmo_kenmerken/`
  zoals StatLine hem exporteert (of `make cbs`). Laag = 1e en 2e 20%-groep van het huishoudinkomen, midden = 3e,
  hoog = 4e en 5e; geeft de tabel het huishoudinkomen in bedragen, dan laag = tot € 30.000, hoog = vanaf € 40.000,
  midden = daartussen. Mannen en vrouwen samen.
- Het deel van de extra groei dat dan verdwijnt is in de Prognose een instelling; de standaardwaarde staat
  hieronder: inkomensverdeling van de cliënten × de reactie per inkomensklasse.
"""

SCENARIO_CLASSES = (("laag", "Laag inkomen"), ("midden", "Midden inkomen"), ("hoog", "Hoog inkomen"))


def scenario_parameter(eb: pl.DataFrame) -> None:
    """Where the Prognose's standard 'share of the extra growth that disappears' comes from (regio and gemeenten)."""
    st.subheader("Uitgangspunt voor de Prognose: welk deel van de extra groei verdwijnt?")
    reg = eb.filter(pl.col("level") == "regio")
    if reg.is_empty() or reg["excess_removed_share"][0] is None:
        st.info("De inkomensverdeling van de regio is afgeschermd of onbekend: de Prognose rekent met de aanname 50%.")
        return
    r = reg.row(0, named=True)
    dist = ("de eigen cliëntregistratie (inkomensklasse per cliënt)" if r["distribution_source"] == "cliëntregistratie"
            else f"CBS-tabel {r['cbs_table_id'] or '85043NED'} (tellingen afgerond op 5)")
    resp = (f"de eigen gegevens: de groei per inkomensklasse van {r['response_from_year']} tot {r['response_to_year']} "
            "(verschil-in-verschillen, hierboven)" if r["response_source"] == "verschil-in-verschillen"
            else "de landelijke monitor abonnementstarief (CBS: inkomens boven € 40.000 +100%, onder € 20.000 +5%; "
                 "Significant: midden- en hoge inkomens +80%)")
    st.metric(f"Standaard in de Prognose: deel van de extra groei dat verdwijnt (vanaf 2027)",
              nl.fmt_pct(r["excess_removed_share"], 1),
              help="Som over de inkomensklassen van (aandeel cliënten in de klasse × reactie van de klasse).")
    st.markdown(f"Inkomensverdeling van de cliënten in **{r['year']}** uit {dist}; reactie per inkomensklasse uit "
                f"{resp}. Reactie = (groei van de klasse − groei bij lage inkomens) / groei van de klasse: het deel "
                "van de groei dat met het vaste tarief kwam en verdwijnt als de bijdrage weer van het inkomen "
                "afhangt. Bij lage inkomens verandert de bijdrage niet (reactie 0).")
    table = pl.DataFrame({
        "Inkomensklasse": [label for _, label in SCENARIO_CLASSES],
        "Cliënten": [r[f"clients_{k}"] for k, _ in SCENARIO_CLASSES],
        "Aandeel cliënten (%)": [None if r[f"share_{k}"] is None else round(100 * r[f"share_{k}"], 1)
                                 for k, _ in SCENARIO_CLASSES],
        "Reactie (%)": [round(100 * r[f"response_{k}"], 1) for k, _ in SCENARIO_CLASSES],
        "Aandeel × reactie (%)": [None if r[f"share_{k}"] is None else round(100 * r[f"share_{k}"] * r[f"response_{k}"], 1)
                                  for k, _ in SCENARIO_CLASSES],
    })
    st.dataframe(table, hide_index=True, column_config=tables.localized_numbers(table))
    gem = eb.filter(pl.col("level") == "gemeente").select(
        pl.col("gemeente_name").alias("Gemeente"), pl.col("year").alias("Jaar"),
        *[pl.col(f"clients_{k}").alias(f"Cliënten {label.lower()}") for k, label in SCENARIO_CLASSES],
        (pl.col("excess_removed_share") * 100).round(1).alias("Verdwijnend deel (%)"))
    if gem.height:
        st.caption("Per gemeente (ter vergelijking; de Prognose rekent met de regio-waarde):")
        st.dataframe(gem, hide_index=True, column_config=tables.localized_numbers(gem))
    layout.how_calculated(["marts.eigen_bijdrage_scenario"])


mart = snapshot.load_optional("marts.income_response")
eb = snapshot.load_optional("marts.eigen_bijdrage_scenario")
if mart is None or mart.is_empty():
    st.info("De cliëntregistratie (clienten/) bevat geen inkomensklasse per cliënt, dus de groei per inkomensklasse "
            "is niet beschikbaar. Voeg de kolom `inkomensklasse` (laag, midden, hoog) toe aan de export van de "
            "cliëntregistratie.")
    if eb is not None and not eb.is_empty():
        _reg = eb.filter(pl.col("level") == "regio")
        if _reg.height:
            layout.summary(summaries.eigen_bijdrage_scenario(_reg.row(0, named=True), nl.REGIO_NAME))
        scenario_parameter(eb)
    st.markdown(SOURCES)
    st.stop()

gem = mart.filter(pl.col("level") == "gemeente")
code = layout.gemeente_select(gem, key="eb_gemeente")
name = layout.gemeente_label(gem, code)
rows = (mart.filter(pl.col("level") == "regio") if code == nl.REGIO else gem.filter(pl.col("gemeente_code") == code)).sort("year")
base_year = int(rows["baseline_year"][0])
later = [y for y in rows["year"].to_list() if y > base_year]
if not later:
    st.info(f"De gegevens lopen niet verder dan het basisjaar {base_year}.")
    st.stop()
year = st.selectbox("Vergelijk met jaar", later, index=later.index(layout.latest_complete_year(later)), key="eb_jaar",
                    format_func=str)
r = rows.filter(pl.col("year") == year).row(0, named=True)
layout.summary(summaries.eigen_bijdrage(r, name, base_year))
m1, m2, m3 = st.columns(3)
m1.metric(f"Verschil in groei hoog − laag, {base_year}→{year}",
          "–" if r["growth_difference_points"] is None
          else nl.fmt_number(r["growth_difference_points"], 1).join(("+" if r["growth_difference_points"] > 0 else "", " procentpunt")),
          help="Verschil-in-verschillen: groei van cliënten met een hoog inkomen min die met een laag inkomen.")
m2.metric(f"Groei hoog inkomen sinds {base_year}", nl.fmt_pct(r["growth_hoog"], 1, signed=True))
m3.metric(f"Groei laag inkomen sinds {base_year}", nl.fmt_pct(r["growth_laag"], 1, signed=True))

st.subheader(f"Cliënten per inkomensklasse · {name}")
fig = go.Figure()
for k, label, color in CLASSES:
    if rows[f"clients_{k}"].fill_null(0).sum() == 0 and k == "onbekend":
        continue
    fig.add_bar(x=rows["year"].to_list(), y=rows[f"clients_{k}"].to_list(), name=label, marker_color=color)
fig.update_layout(barmode="stack")
fig.update_traces(hovertemplate="%{x}: %{y:,.0f}<extra>%{fullData.name}</extra>")
charts.style_figure(fig, y_format=",.0f")
data = rows.select(
    pl.col("year").alias("Jaar"),
    *[pl.col(f"clients_{k}").alias(f"Cliënten {label.lower()}") for k, label, _ in CLASSES],
    *[(pl.col(f"growth_{k}") * 100).round(1).alias(f"Groei {label.lower()} sinds {base_year} (%)")
      for k, label, _ in CLASSES if k != "onbekend"],
    pl.col("growth_difference_points").round(1).alias("Verschil hoog − laag (procentpunt)"),
)
charts.show_chart(fig, data, name=f"inkomen-{name}", key="eb_klassen", tables=["marts.income_response"],
                  title="Cliënten per inkomensklasse", filters=name)
st.dataframe(data, hide_index=True, column_config=tables.localized_numbers(data))
if eb is not None and not eb.is_empty():
    scenario_parameter(eb)
st.markdown(SOURCES)
