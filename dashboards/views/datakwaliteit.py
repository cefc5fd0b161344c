"""Datakwaliteit (analysts): ingestion ledger, quarantine by rule, validation results, links."""

from __future__ import annotations

import datetime as dt

import plotly.express as px
import polars as pl
import streamlit as st
from hbh_monitor import settings
# which snapshot is live, and whether a newer run was held back (status.json next to the snapshot, plain Python)
from hbh_monitor.status import snapshot_status

from dashboards import access, charts, exports, layout, snapshot, tables
from dashboards import formatting as nl

layout.page_header(
    "Datakwaliteit",
    "Voor analisten: welke bestanden zijn geladen, welke regels zijn in quarantaine gezet en waarom, "
    "en hoe de validaties uitvielen.",
)
access.require_analyst()

info = snapshot.refresh_info() or {}
dagster = access.dagster_url()
run_id = info.get("run_id")

# --- Snapshot and links ---------------------------------------------------------------------------------
st.subheader("Gepubliceerde momentopname")
k1, k2, k3 = st.columns(3)
k1.metric("Gepubliceerd", nl.fmt_datetime(info.get("published_at")))
k2.metric("Gegevens over", f"{getattr(info.get('data_from'), 'year', '–')}–{getattr(info.get('data_to'), 'year', '–')}",
          help=f"{nl.fmt_date(info.get('data_from'))} t/m {nl.fmt_date(info.get('data_to'))}", delta=None)
k3.metric("Afschermdrempel", f"< {snapshot.suppression_threshold()}")
st.markdown(
    f"Run `{run_id or '–'}` · [Deze run in Dagster]({dagster}/runs/{run_id}) · "
    f"[Assets en checks in Dagster]({dagster}/assets) · [Dagster UI]({dagster})"
)
status = snapshot_status(settings.serving_path())
if status["held_back"]:
    checks = "".join(f"\n- `{chk}`" for chk in status["failed_checks"])
    missing = "".join(f"\n- `{f}`" for f in status.get("missing_deliveries", []))
    st.error(
        f"**Nieuwere gegevens tegengehouden.** Run `{status['held_back_run_id']}` "
        f"({nl.fmt_datetime(dt.datetime.fromisoformat(status['held_back_at']))}) is niet gepubliceerd: {status['reason']}"
        + (f"\n\nNiet geslaagde blokkerende controles:{checks}" if checks else "")
        + (f"\n\nLeveringen die niet geladen konden worden (zie Melding hieronder; een beheerder kan ze "
           f"accepteren met HBH_ACCEPT_FAILED_FILES):{missing}" if missing else "")
        + f"\n\nDe dashboards tonen nog de momentopname van run `{status['live_run_id'] or '–'}`."
    )
else:
    st.success("De laatste run is gepubliceerd; er is niets tegengehouden.")
docs = settings.data_dir() / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
if docs.is_file():
    st.caption(
        f"Great Expectations Data Docs: `{docs}` (open het bestand in een browser op de server; "
        "zonder internet ontbreekt de opmaak)."
    )
else:
    st.caption("Great Expectations Data Docs zijn (nog) niet gemaakt op deze server.")

# --- Ingestion ledger ------------------------------------------------------------------------------------
st.subheader("Ingelezen bestanden")
ledger = snapshot.load("meta.ingestion_ledger")
if ledger.is_empty():
    st.info("Er zijn nog geen bestanden ingelezen.")
else:
    f1, f2 = st.columns(2)
    with f1:
        datasets = sorted(ledger["dataset"].unique().to_list())
        chosen = st.multiselect("Dataset", datasets, default=datasets, key="dq_dataset", placeholder="Kies een of meer datasets")
    with f2:
        statuses = sorted(ledger["status"].unique().to_list())
        status = st.multiselect("Status", statuses, default=statuses, key="dq_status", placeholder="Kies een of meer")
    sel = ledger.filter(pl.col("dataset").is_in(chosen) & pl.col("status").is_in(status))
    table = sel.sort("loaded_at", "source_file", descending=[True, False]).select(
        pl.col("dataset").alias("Dataset"),
        pl.col("source_file").alias("Bestand"),
        pl.col("file_format").alias("Formaat"),
        pl.col("rows_in").alias("Regels in"),
        pl.col("rows_loaded").alias("Geladen"),
        pl.col("rows_quarantined").alias("Quarantaine"),
        pl.col("status").alias("Status"),
        pl.col("message").fill_null("").alias("Melding"),
        nl.local_time("loaded_at").alias("Ingelezen"),
    )
    n_err = sel.filter(pl.col("status") == "fout").height
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Bestanden", nl.fmt_number(sel.height))
    m2.metric("Regels geladen", nl.fmt_number(sel["rows_loaded"].sum()))
    m3.metric("Regels in quarantaine", nl.fmt_number(sel["rows_quarantined"].sum()))
    m4.metric("Bestanden met fout", nl.fmt_number(n_err))
    tables.table_with_downloads(table, key="dq_ledger", name="ingelezen-bestanden", title="Ingelezen bestanden",
                                filters=f"Datasets: {', '.join(chosen)}; status: {', '.join(status)}",
                                column_config=tables.number_formats(localized=("Regels in", "Geladen", "Quarantaine")))
    with st.expander("Hoe te lezen?", icon=":material/help:"):
        st.markdown(
            "Eén regel per ingelezen bestand (`meta.ingestion_ledger`). Regels in = geladen + quarantaine. "
            "Status `geladen`: verwerkt; `fout`: het bestand kon niet worden gelezen (zie Melding); "
            "`vervangen`: een latere levering van hetzelfde bestand heeft deze vervangen. Een bestand met "
            "dezelfde inhoud wordt niet opnieuw geladen."
        )

# --- Quarantine by dataset and rule ---------------------------------------------------------------------
st.subheader("Quarantaine naar dataset en regel")
qs = snapshot.load("meta.quarantine_summary")
if qs.is_empty():
    st.success("Geen regels in quarantaine.", icon=":material/check_circle:")
else:
    by_rule = (
        qs.with_columns(pl.col("rules").str.split(",").alias("rule"))
        .explode("rule")
        .with_columns(pl.col("rule").str.strip_chars())
        .group_by("dataset", "rule")
        .agg(pl.col("rows").sum().alias("rows"), pl.col("source_file").n_unique().alias("files"))
        .sort("rows", descending=True)
    )
    chart = by_rule.select(
        pl.col("dataset").alias("Dataset"),
        pl.col("rule").alias("Regel"),
        pl.col("rows").alias("Regels"),
        pl.col("files").alias("Bestanden"),
    )
    fig = px.bar(
        chart.to_pandas(), x="Regels", y="Regel", color="Dataset", orientation="h",
        hover_data={"Bestanden": True},
    )
    charts.style_figure(fig, y_format=",d", x_years=False, height=160 + 26 * chart["Regel"].n_unique())
    fig.update_yaxes(categoryorder="total ascending", title=None, rangemode="normal")
    fig.update_xaxes(tickformat=",~f", rangemode="tozero")
    fig.update_layout(legend_title_text="")
    charts.plot(fig, key="dq_quarantine", title="Regels in quarantaine per regel",
                alt=f"Regels in quarantaine per regel: {int(chart['Regels'].sum())} regels in totaal.")
    exports.download_buttons(chart, name="quarantaine-per-regel", key="dq_quarantine_dl", title="Quarantaine per regel",
                             filters="Alle datasets")
    with st.expander("Hoe berekend?", icon=":material/calculate:"):
        st.markdown(
            "Uit `meta.quarantine_summary`: per bestand het aantal regels per combinatie van gebroken "
            "controles (alleen de namen van de controles uit het datacontract, nooit de geleverde waarden). "
            "Een regel die op meerdere controles afkeurt, telt bij elke controle mee, dus de staafjes kunnen "
            "samen meer zijn dan het aantal regels in quarantaine."
        )
    detail = qs.select(
        pl.col("dataset").alias("Dataset"), pl.col("source_file").alias("Bestand"),
        pl.col("rules").alias("Regels gebroken"), pl.col("rows").alias("Aantal regels"),
    )
    with st.expander("Per bestand"):
        tables.table_with_downloads(detail, key="dq_quarantine_files", name="quarantaine-per-bestand",
                                    title="Quarantaine per bestand", filters="Alle datasets",
                                    column_config=tables.localized_numbers(detail))

# --- Validation results ---------------------------------------------------------------------------------
st.subheader("Validaties")
checks = snapshot.load_optional("meta.check_results")
gx = snapshot.load_optional("meta.gx_validations")
if checks is not None and not checks.is_empty():
    tables.table_with_downloads(checks, key="dq_checks", name="controles", title="Controles", filters="Laatste run",
                                column_config=tables.localized_numbers(checks), placeholder="–")
if gx is not None and not gx.is_empty():
    latest = gx.sort("validated_at").group_by("dataset", maintain_order=True).last().sort("dataset")
    gx_table = latest.select(
        pl.col("dataset").alias("Dataset"),
        pl.col("suite").alias("Suite"),
        pl.when(pl.col("success")).then(pl.lit("geslaagd")).otherwise(pl.lit("afwijkingen")).alias("Uitkomst"),
        pl.col("rows_validated").alias("Regels gecontroleerd"),
        pl.col("expectations").alias("Verwachtingen"),
        pl.col("failed_expectations").alias("Niet gehaald"),
        pl.col("details").alias("Toelichting"),
        nl.local_time("validated_at").alias("Gecontroleerd"),
    )
    tables.table_with_downloads(gx_table, key="dq_gx", name="gx-validaties", title="Great Expectations-validaties",
                                filters="Laatste validatie per dataset",
                                column_config=tables.localized_numbers(gx_table), placeholder="–")
if (checks is None or checks.is_empty()) and (gx is None or gx.is_empty()):
    st.info(
        f"De uitkomsten van de controles staan in de Dagster UI: [{dagster}/assets]({dagster}/assets) "
        "(tab *Checks* per asset).",
        icon=":material/fact_check:",
    )
else:
    st.caption(f"Alle controles (ook de blokkerende) per asset: [Dagster UI]({dagster}/assets).")

# --- Model builds ---------------------------------------------------------------------------------------
st.subheader("Verversing van de modellen")
builds = snapshot.load_optional("meta.model_builds")
if builds is not None and not builds.is_empty():
    modes = {"full": "volledig opnieuw", "incremental": "bijgewerkt per sleutel"}
    build_table = builds.sort("model").select(
        pl.col("model").alias("Model"),
        pl.col("mode").replace_strict(modes, default=pl.col("mode")).alias("Laatste opbouw"),
        pl.col("changed_keys").alias("Bijgewerkte sleutels"),
        pl.col("reason").alias("Reden volledige opbouw"),
        pl.col("rows").alias("Rijen"),
        pl.col("version").alias("Versie"),
        nl.local_time("built_at").alias("Gebouwd"),  # naive UTC in the snapshot, shown in Dutch time
    )
    tables.table_with_downloads(build_table, key="dq_builds", name="modelverversing",
                                title="Verversing van de modellen", filters="Laatste opbouw per model",
                                column_config=tables.localized_numbers(build_table), placeholder="–")
    with st.expander("Hoe te lezen?", icon=":material/help:"):
        st.markdown(
            "Een model wordt alleen opnieuw gebouwd als zijn SQL, de instellingen of zijn invoer veranderd is; "
            "anders blijft de tabel van de vorige opbouw staan (zie *Gebouwd*). De twee grote modellen op "
            "regelniveau (`staging.declaraties`, `staging.reconciliation_lines`) worden per sleutel bijgewerkt: "
            "alleen de declaratieregels uit nieuwe of opnieuw geleverde bestanden worden herberekend. "
            "*Reden volledige opbouw* zegt waarom een model toch helemaal opnieuw is gebouwd "
            "(bijvoorbeeld: een tarief in de productcatalogus is gewijzigd). Bron: `meta.model_builds`."
        )
else:
    st.caption("Nog geen gegevens over de opbouw van de modellen in deze momentopname.")
