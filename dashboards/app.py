"""Entry point of the HbH-monitor dashboards.

Run from the repository root (so .streamlit/config.toml is used):

    streamlit run dashboards/app.py

The pages live in ``dashboards/views/`` (not ``pages/``: with st.navigation a ``pages/`` folder
would also be auto-discovered by Streamlit). They read only the published snapshot
(``hbh_monitor.settings.serving_path()``, env HBH_SERVING).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # `streamlit run` adds it, AppTest does not
    sys.path.insert(0, str(HERE))

import streamlit as st  # noqa: E402

import common  # noqa: E402

# No page icons: a ":material/...:" page icon becomes the favicon, which the browser then fetches from
# fonts.gstatic.com (an external request; measured), and emoji show as boxes without an emoji font.
st.set_page_config(page_title="HbH-monitor", layout="wide")

PAGES = [
    st.Page("views/overzicht.py", title="Overzicht", default=True),
    st.Page("views/wijken.py", title="Wijken", url_path="wijken"),
    st.Page("views/leeftijd.py", title="Leeftijd", url_path="leeftijd"),
]

page = st.navigation(PAGES)
with st.sidebar:
    st.markdown("### HbH-monitor")
    st.caption("Hulp bij het huishouden (Wmo)")
common.sidebar_info()
page.run()
