"""Entry point of the dashboard: ``streamlit run app.py`` (or ``make app``).

Only the page configuration and the navigation live here; the pages are in
crossref/ui/pages and call the library through crossref.ui.state.
"""

import streamlit as st

from crossref.ui import APP_TITLE, PAGES

st.set_page_config(page_title=APP_TITLE, page_icon=":material/compare_arrows:", layout="wide")

navigation = st.navigation([
    st.Page(str(p.path), title=p.title, url_path=p.url_path, icon=p.icon, default=(i == 0))
    for i, p in enumerate(PAGES)
])
navigation.run()
