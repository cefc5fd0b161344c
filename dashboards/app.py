"""Entry point of the HbH-monitor dashboards.

Run from the repository root (so .streamlit/config.toml is used):

    streamlit run dashboards/app.py

The pages live in ``dashboards/views/`` (not ``pages/``: with st.navigation a ``pages/`` folder
would also be auto-discovered by Streamlit). They read only the published snapshot
(``hbh_monitor.settings.serving_path()``, env HBH_SERVING).

``dashboards`` is a package installed with the project (``make install``: an editable install), so this
script and the pages import ``dashboards.*`` however they are started (``streamlit run`` puts only this
folder on ``sys.path``, AppTest nothing).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import a11y, access, layout

HERE = Path(__file__).resolve().parent

# No page icons: a ":material/...:" page icon becomes the favicon, which the browser then fetches from
# fonts.gstatic.com (an external request; measured), and emoji show as boxes without an emoji font.
st.set_page_config(page_title="HbH-monitor", layout="wide")

# Council pages: aggregates only, small counts suppressed in the published snapshot.
COUNCIL_PAGES = [
    st.Page("views/overzicht.py", title="Overzicht", default=True),
    st.Page("views/wijken.py", title="Wijken", url_path="wijken"),
    st.Page("views/leeftijd.py", title="Leeftijd", url_path="leeftijd"),
]
for file, title, url in (
    ("views/abonnementstarief.py", "Abonnementstarief", "abonnementstarief"),
    ("views/prognose.py", "Prognose", "prognose"),
    ("views/kosten.py", "Tarieven en kosten", "kosten"),
    ("views/eigen_bijdrage.py", "Eigen bijdrage en inkomen", "eigen-bijdrage"),
    ("views/herindicatie.py", "Herindicatie (simulatie)", "herindicatie"),
    ("views/levering.py", "Levering en wachttijd", "levering"),
    ("views/wijkgericht.py", "Wijkgericht werken", "wijkgericht"),
    ("views/cbs.py", "Vergelijken met CBS", "cbs"),
    ("views/prognoseband.py", "Prognose met bandbreedte", "prognoseband"),
):
    if (HERE / file).is_file():  # pages added by other modules; the app runs without them
        COUNCIL_PAGES.append(st.Page(file, title=title, url_path=url))
# Analyst pages: login required when [auth] is configured (access.require_analyst); absent in
# council mode (HBH_DASHBOARD_MODE=council), so a council deployment cannot even deep-link to them.
ANALYST_PAGES = [
    st.Page("views/aanbieders.py", title="Aanbieders & declaraties", url_path="aanbieders"),
    st.Page("views/datakwaliteit.py", title="Datakwaliteit", url_path="datakwaliteit"),
]

if access.dashboard_mode() == "council":
    PAGES: list | dict = COUNCIL_PAGES
else:
    PAGES = {"Beleid en raad": COUNCIL_PAGES, "Analisten": ANALYST_PAGES}

# Streamlit's own sidebar menu puts section headers (div) inside its <ul>, which screen readers and axe
# reject (list/listitem); the menu is drawn with page links instead.
page = st.navigation(PAGES, position="hidden")
a11y.inject()
with st.sidebar:
    st.markdown("### HbH-monitor")
    st.caption("Hulp bij het huishouden (Wmo)")
    sections = PAGES.items() if isinstance(PAGES, dict) else [(None, PAGES)]
    with st.container(key="hbh_nav"):
        for section, pages in sections:
            if section:
                st.markdown(f"**{section}**")
            for p in pages:
                st.page_link(p, label=p.title)
layout.sidebar_info()
page.run()
