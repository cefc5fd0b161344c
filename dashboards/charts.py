"""Charts: Dutch styling of Plotly figures, colours, policy-year markers, and a chart with its downloads and
"Hoe berekend?" (``show_chart``)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.exports import download_buttons
from dashboards.formatting import slug
from dashboards.layout import gemeente_options, how_calculated

ABONNEMENTSTARIEF_YEAR = 2019  # flat eigen bijdrage (abonnementstarief) for the Wmo since 2019
# Ordinal, darker with age, with a hue change between neighbours: each >= 3:1 against white and
# neighbours >= 1.6:1 apart in lightness, so they stay apart for colour-blind readers and in grey.
AGE_COLORS = ["#bf812d", "#2166ac", "#542788", "#2d004b"]
TEXT_COLOR = "#333333"  # chart text (axis labels, notes): 12.6:1 on white
# Distinct hues, each >= 3:1 against white (WCAG 1.4.11); a gemeente keeps its colour on every page.
GEMEENTE_PALETTE = [
    "#1f77b4", "#d95f02", "#1b9e77", "#c51b7d", "#7570b3",
    "#8c510a", "#01665e", "#b2182b", "#4d4d4d", "#6a3d9a",
]
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def gemeente_colors(df: pl.DataFrame) -> dict[str, str]:
    """gemeente_name -> colour, stable across pages (alphabetical order of all gemeenten)."""
    names = list(gemeente_options(df).values())
    return {n: GEMEENTE_PALETTE[i % len(GEMEENTE_PALETTE)] for i, n in enumerate(names)}


def style_figure(
    fig: go.Figure,
    *,
    y_format: str = ",d",
    x_years: bool = True,
    height: int | None = None,
) -> go.Figure:
    """Dutch separators (1.234,5), years without a thousands separator, no external resources."""
    fig.update_layout(
        separators=",.",
        margin=dict(l=10, r=10, t=40, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
        hovermode="closest",
        font=dict(color=TEXT_COLOR),
    )
    if height:
        fig.update_layout(height=height)
    if x_years:
        fig.update_xaxes(tickformat="d", hoverformat="d", dtick=1)
    fig.update_yaxes(tickformat=",~f", hoverformat=y_format, rangemode="tozero")
    return fig


def mark_policy_years(fig: go.Figure, years: list[int], baseline_year: int | None) -> None:
    """Vertical markers for the baseline year and the abonnementstarief (2019), if in range."""
    if not years:
        return
    lo, hi = min(years), max(years)
    marks: dict[int, list[str]] = {}
    if baseline_year is not None and lo <= baseline_year <= hi:
        marks.setdefault(int(baseline_year), []).append(f"basisjaar {baseline_year}")
    if lo <= ABONNEMENTSTARIEF_YEAR <= hi:
        marks.setdefault(ABONNEMENTSTARIEF_YEAR, []).append(f"abonnementstarief ({ABONNEMENTSTARIEF_YEAR})")
    for i, (year, texts) in enumerate(sorted(marks.items())):
        fig.add_vline(
            x=year,
            line_dash="dash" if "basisjaar" in texts[0] else "dot",
            line_color="#666",
            line_width=1,
            annotation_text=" + ".join(texts).capitalize(),
            annotation_position="top left" if i == 0 else "top right",
            annotation_font_size=11,
            annotation_font_color=TEXT_COLOR,
        )


def show_chart(
    fig: go.Figure,
    data: pl.DataFrame,
    *,
    name: str,
    key: str,
    tables: list[str],
    title: str,
    filters: str,
    extra: str | None = None,
    alt: str | None = None,
) -> None:
    """A Plotly chart followed by its downloads (exactly ``data``) and the "Hoe berekend?" expander.

    ``title`` is drawn above the chart; ``alt`` (default: the title) is its text alternative for screen
    readers, best the page's summary sentence with the figures in it."""
    config = PLOTLY_CONFIG | {"toImageButtonOptions": {"filename": "hbh_" + slug(name)}}
    plot(fig, key=key, title=title, alt=alt or f"{title}. Selectie: {filters}.", config=config)
    download_buttons(data, name=name, key=key, title=title, filters=filters)
    how_calculated(tables, extra)


def plot(fig: go.Figure, *, key: str, title: str, alt: str | None = None, config: dict | None = None,
         show_title: bool = True, **kwargs: Any) -> Any:
    """st.plotly_chart with a title and a text alternative.

    The alternative goes in ``layout.meta.alt``; the page script (a11y.py) gives the chart
    ``role="figure"`` and that ``aria-label`` (Plotly's SVG has none, the map's canvas says "Map")."""
    text = alt or title
    # Streamlit's chart theme draws axis labels and legends in a light grey (< 4.5:1 on white)
    for axes in (fig.update_xaxes, fig.update_yaxes):
        axes(tickfont_color=TEXT_COLOR, title_font_color=TEXT_COLOR)
    fig.update_layout(legend_font_color=TEXT_COLOR, legend_title_font_color=TEXT_COLOR)
    fig.update_traces(colorbar=dict(tickfont_color=TEXT_COLOR, title_font_color=TEXT_COLOR),
                      selector=lambda t: "colorbar" in t)
    meta = dict(fig.layout.meta) if isinstance(fig.layout.meta, dict) else {}
    fig.update_layout(meta=meta | {"alt": text if text.startswith(title) else f"{title}. {text}"})
    if show_title:
        fig.update_layout(title=dict(text=title, x=0, xanchor="left", y=0.98, yanchor="top",
                                     font=dict(size=14, color=TEXT_COLOR)))
        top = (fig.layout.margin.t or 0) if fig.layout.margin else 0
        fig.update_layout(margin=dict(t=max(top, 40) + 30))  # the title above the legend
    return st.plotly_chart(fig, key=key, config=config or PLOTLY_CONFIG, **kwargs)
