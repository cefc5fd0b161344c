"""Accessibility and phone-width furniture of the dashboards: styles and one small script per page.

Streamlit 1.67 has no option for the page language (its index.html says ``<html lang="en">``) nor for
its interface strings. ``inject()`` adds, once per page, through ``st.html`` (not iframed):

- CSS: notes (captions) at contrast >= 4.5:1, a keyboard focus ring that differs from the
  current-page highlight (an outline, where the highlight is a background), chart toolbars hidden on
  small screens, titles that break between words only, compact metric cards on a phone;
- a script that keeps ``<html lang="nl">``, translates Streamlit's own English labels (skip link,
  table toolbar, fullscreen, ...) and gives every chart ``role="figure"`` with its Dutch text
  alternative (``layout.meta.alt`` set by ``charts.plot``; a geo map's SVG group ``role="img"`` and
  "Kaart: ..." too).

A MutationObserver re-applies this after each rerender; it only writes when a value differs, so it
cannot loop.
"""

from __future__ import annotations

import json

import streamlit as st

# Streamlit's English interface strings (aria-label, title, placeholder or whole text) -> Dutch.
DUTCH_UI: dict[str, str] = {
    "Skip to main content": "Naar de hoofdinhoud",
    "Download as CSV": "Downloaden als CSV",
    "Search": "Zoeken",
    "Search…": "Zoeken…",
    "Fullscreen": "Volledig scherm",
    "Close fullscreen": "Volledig scherm sluiten",
    "Exit fullscreen": "Volledig scherm sluiten",
    "View fullscreen": "Volledig scherm",
    "Show/hide columns": "Kolommen tonen/verbergen",
    "Open sidebar": "Zijbalk openen",
    "Close sidebar": "Zijbalk sluiten",
    "Collapse sidebar": "Zijbalk inklappen",
    "Expand sidebar": "Zijbalk uitklappen",
    "Main menu": "Menu",
    "Clear all": "Alles wissen",
    "Clear value": "Waarde wissen",
    "Open": "Openen",
    "Close": "Sluiten",
    "Map": "Kaart",
    "No results": "Geen resultaten",
    "Running...": "Bezig...",
    "Copy to clipboard": "Naar klembord kopiëren",
    "Zoom in": "Inzoomen",
    "Zoom out": "Uitzoomen",
    "Reset axes": "Assen herstellen",
    "Autoscale": "Automatisch schalen",
    "Download plot as a png": "Grafiek downloaden als PNG",
    "Reset view": "Weergave herstellen",
}

# Colours: Streamlit's caption grey (#828180 on white) is 3.9:1; #595959 is 7.0:1.
NOTE_COLOR = "#595959"
FOCUS_COLOR = "#b3005a"  # focus ring: not the blue/grey of the current-page highlight

CSS = f"""
<style>
/* notes and secondary text: contrast >= 4.5:1 (WCAG 1.4.3) */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] div,
[data-testid="stWidgetLabel"] small, [data-testid="stTooltipHoverTarget"] {{ color: {NOTE_COLOR} !important;
  opacity: 1 !important; }}
/* keyboard focus: a thick magenta outline, distinct from the current-page background highlight */
a:focus-visible, button:focus-visible, input:focus-visible, [role="button"]:focus-visible,
[role="combobox"]:focus-visible, [tabindex]:focus-visible, summary:focus-visible, select:focus-visible,
[data-baseweb="select"]:focus-within {{
  outline: 3px solid {FOCUS_COLOR} !important; outline-offset: 2px !important; box-shadow: none !important;
}}
/* the current page in the sidebar: bold and a left bar, not only a background tint */
[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"][aria-current="page"],
[data-testid="stSidebar"] a[aria-current="page"] {{ font-weight: 700; border-left: 4px solid #1f4e79; }}
/* titles break between words, never inside one ("Abonnementstari/ef") */
h1, h2, h3, [data-testid="stHeading"] {{ overflow-wrap: normal !important; word-break: normal !important;
  hyphens: manual !important; }}
/* the summary under the title */
.hbh-summary {{ font-size: 1.05rem; line-height: 1.5; margin: 0; }}
@media (max-width: 640px) {{
  h1 {{ font-size: 1.9rem !important; }}
  /* chart toolbars would cover legends on a phone */
  .modebar-container, .modebar {{ display: none !important; }}
  /* metric cards: compact so the Overzicht does not stack 2,000 px deep */
  [data-testid="stMetric"] {{ padding: 0 !important; }}
  [data-testid="stMetricValue"] {{ font-size: 1.35rem !important; }}
  .st-key-hbh_kpi [data-testid="stHorizontalBlock"] {{ flex-direction: row !important; flex-wrap: wrap !important;
    gap: 0.5rem !important; }}
  .st-key-hbh_kpi [data-testid="stColumn"] {{ width: calc(50% - 0.25rem) !important;
    flex: 1 1 calc(50% - 0.25rem) !important; min-width: calc(50% - 0.25rem) !important; }}
  .st-key-hbh_kpi [data-testid="stVerticalBlockBorderWrapper"], .st-key-hbh_kpi [data-testid="stLayoutWrapper"] > div {{
    padding: 0.5rem !important; }}
  .block-container, [data-testid="stMainBlockContainer"] {{ padding-left: 0.75rem !important;
    padding-right: 0.75rem !important; }}
}}
/* the element that holds this script takes no room */
[data-testid="stElementContainer"]:has(> .stHtml .hbh-a11y), .element-container:has(.hbh-a11y) {{
  display: none !important; }}
</style>
"""

SCRIPT = """
<span class="hbh-a11y" hidden></span>
<script>
(function () {
  const doc = document;
  if (doc.__hbhA11y) { doc.__hbhA11y(); return; }
  const NL = __NL__;
  const set = (el, attr, value) => { if (el.getAttribute(attr) !== value) el.setAttribute(attr, value); };
  function apply() {
    if (doc.documentElement.lang !== "nl") doc.documentElement.lang = "nl";
    doc.querySelectorAll("[aria-label], [title], [placeholder]").forEach((el) => {
      for (const attr of ["aria-label", "title", "placeholder"]) {
        const v = el.getAttribute(attr);
        if (v && NL[v.trim()]) set(el, attr, NL[v.trim()]);
      }
    });
    doc.querySelectorAll("a, button, span, div, p, label").forEach((el) => {
      if (el.childElementCount === 0) {
        const t = el.textContent.trim();
        if (t && NL[t]) el.textContent = NL[t];
      }
    });
    // the sidebar link of the current page says so (Streamlit's page links only change their colour)
    doc.querySelectorAll('[data-testid="stPageLink-NavLink"]').forEach((a) => {
      const ref = a.getAttribute("href") || "./";  // "" is the app's home page, not "this page"
      const here = new URL(ref, doc.baseURI).pathname.replace(/\/$/, "") === location.pathname.replace(/\/$/, "");
      if (here) set(a, "aria-current", "page"); else if (a.hasAttribute("aria-current")) a.removeAttribute("aria-current");
    });
    doc.querySelectorAll(".js-plotly-plot").forEach((gd) => {
      const meta = gd.layout && gd.layout.meta;
      const alt = meta && meta.alt;
      if (!alt) return;
      set(gd, "role", "figure");
      set(gd, "aria-label", alt);
      // a map (Plotly's SVG geo subplot): the map itself says it is one, with the same text alternative
      const mapAlt = alt.startsWith("Kaart") ? alt : "Kaart: " + alt;
      gd.querySelectorAll("g.geo").forEach((g) => { set(g, "role", "img"); set(g, "aria-label", mapAlt); });
    });
  }
  window.addEventListener("resize", () => schedule());
  let pending = false;
  const schedule = () => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; apply(); }); } };
  doc.__hbhA11y = schedule;
  new MutationObserver(schedule).observe(doc.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["lang", "aria-label", "title", "placeholder", "href"],
  });
  apply();
})();
</script>
"""


def inject() -> None:
    """Add the page's accessibility CSS and script (call once per script run, before the page)."""
    st.html(CSS)
    st.html(SCRIPT.replace("__NL__", json.dumps(DUTCH_UI, ensure_ascii=False)), unsafe_allow_javascript=True)
