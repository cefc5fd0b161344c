"""The HbH-monitor dashboards (Streamlit): `streamlit run dashboards/app.py` from the repository root.

See docs/architecture.md for which module owns what."""
