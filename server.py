"""The process that owns the DuckDB file: the Streamlit app plus HTTP routes for machine clients
(desk agents, campus-system feeds). Start with `streamlit run server.py`.

Its lifespan starts the inbox watcher (loaders/inbox.py): campus systems drop their exports
into the inbox folder and this process, the only one that may open the database, applies them.
"""

from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from clearance.root import open_store
from loaders.inbox import InboxWatcher
from webapi.agent_api import routes as desk_routes
from webapi.auth import routes as auth_routes
from webapi.headers import SecurityHeaders


@asynccontextmanager
async def lifespan(_app):
    watcher = InboxWatcher(open_store).start()
    try:
        yield
    finally:
        watcher.stop()


# SecurityHeaders: frame/CSP/nosniff headers on every response, /_stcore/metrics not public.
app = st.App("app.py", routes=[*desk_routes, *auth_routes], lifespan=lifespan,
             middleware=[Middleware(SecurityHeaders)])
