"""The process that owns the DuckDB file: the Streamlit app plus HTTP routes for machine clients
(desk agents, campus-system feeds). Start with `streamlit run server.py`.

Its lifespan starts the inbox watcher (loaders/inbox.py): campus systems drop their exports
into the inbox folder and this process, the only one that may open the database, applies them.
"""

from contextlib import asynccontextmanager

import streamlit as st

from clearance.root import open_store
from loaders.inbox import InboxWatcher
from webapi import workers
from webapi.agent_api import routes as desk_routes
from webapi.gc_tuning import tune_for_server
from webapi.student_page import routes as student_page_routes


@asynccontextmanager
async def lifespan(_app):
    watcher = InboxWatcher(open_store).start()
    open_store()  # migrate and load the catalogue before the first session, then
    tune_for_server()  # freeze what start-up allocated and set the measured GC thresholds
    workers.warm()  # the PDF/Excel worker process, started in the background
    try:
        yield
    finally:
        watcher.stop()
        workers.shutdown()


app = st.App("app.py", routes=[*desk_routes, *student_page_routes], lifespan=lifespan)
