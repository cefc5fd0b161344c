"""Deployment mode and analyst access: which pages a deployment shows, the analysts' login, links out."""

from __future__ import annotations

import os

import streamlit as st


def dashboard_mode() -> str:
    """HBH_DASHBOARD_MODE: ``all`` (default: every page) or ``council`` (only the council pages)."""
    mode = os.environ.get("HBH_DASHBOARD_MODE", "all").strip().lower()
    return mode if mode in ("all", "council") else "all"


def auth_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section (Streamlit OIDC login)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def require_analyst() -> None:
    """Analyst pages: with [auth] configured the user must be logged in, else the page stops with a
    login button. Without [auth] the pages are open (``all`` mode on a trusted network)."""
    if not auth_configured():
        return
    if getattr(st.user, "is_logged_in", False):
        with st.sidebar:
            st.caption(f"Ingelogd als {st.user.get('name') or st.user.get('email') or 'analist'}")
            st.button("Uitloggen", on_click=st.logout, key="logout")
        return
    st.info("Deze pagina is alleen voor analisten. Log in om verder te gaan.", icon=":material/lock:")
    st.button("Inloggen", on_click=st.login, key="login", type="primary")
    st.stop()


def dagster_url() -> str:
    return os.environ.get("HBH_DAGSTER_URL", "http://localhost:3000").rstrip("/")
