"""The process that owns the DuckDB file: the Streamlit app plus HTTP routes for machine clients
(desk agents, campus-system feeds). Start with `streamlit run server.py`.

Its lifespan starts the inbox watcher (loaders/inbox.py): campus systems drop their exports
into the inbox folder and this process, the only one that may open the database, applies them.
"""

from contextlib import asynccontextmanager

import streamlit as st

from clearance.root import open_store
from loaders.inbox import InboxWatcher
from ui.report import EveningReports, evening_settings
from webapi.agent_api import routes as desk_routes


@asynccontextmanager
async def lifespan(_app):
    watcher = InboxWatcher(open_store).start()
    # The leadership report into a folder each evening, when config/report.toml names one.
    evening = EveningReports(open_store(), evening_settings())
    evening.start()
    try:
        yield
    finally:
        watcher.stop()
        evening.stop()


app = st.App("app.py", routes=[*desk_routes], lifespan=lifespan)
