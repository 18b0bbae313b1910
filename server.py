"""The process that owns the DuckDB file: the Streamlit app plus HTTP routes for machine clients
(desk agents, campus-system feeds). Start with `streamlit run server.py`."""

import streamlit as st

from webapi.desk import routes as desk_routes

app = st.App("app.py", routes=[*desk_routes])
