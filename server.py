"""The process that owns the DuckDB file: the Streamlit app plus HTTP routes for machine clients
(desk agents, campus-system feeds, the IT office). Start with `streamlit run server.py`.

Its lifespan first opens and checks the store (clearance.health.open_checked): a store that is
locked by another process, damaged, or from a newer version stops the start with one log line
naming the problem. It then starts the inbox watcher (loaders/inbox.py: campus systems drop
their exports into the inbox folder and this process, the only one that may open the database,
applies them) and the daily backup (clearance.store.backup.DailyBackup, config/operations.toml).
The guessing limits' recent failures are read back at the start and written at the stop
(clearance.store.throttle_state): a planned restart gives nobody a fresh allowance of guesses.
"""

import logging
import os
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from clearance.adapters.limits import security_config
from clearance.adapters.signin import gate
from clearance.adapters.sso import sso_config
from clearance.health import open_checked
from clearance.operations import operations_config
from clearance.root import open_store
from clearance.store.backup import DailyBackup, write_token
from clearance.store.db import StoreProblem
from clearance.store.throttle_state import load_limits, save_limits
from loaders.inbox import InboxWatcher
from ui.report import EveningReports, evening_settings
from ui.student_lookup import limiter
from webapi import workers
from webapi.agent_api import routes as desk_routes
from webapi.auth import routes as auth_routes
from webapi.cas import routes as cas_routes
from webapi.downloads import routes as download_routes
from webapi.headers import SecurityHeaders
from webapi.oidc import routes as oidc_routes
from webapi.gc_tuning import tune_for_server, warm_up
from webapi.ops import app_logging
from webapi.ops import routes as ops_routes
from webapi.student_page import routes as student_page_routes

# uvicorn (under Streamlit) takes the client address from X-Forwarded-For for the peers named in
# FORWARDED_ALLOW_IPS: give it the same trusted proxies as the app's own rule
# (config/security.toml, clearance.adapters.netaddr).
os.environ.setdefault("FORWARDED_ALLOW_IPS", ",".join(
    str(network) for network in security_config().trusted_proxies))


def _limiters() -> dict:
    return {"student_lookup": limiter(), "sign_in": gate().throttle}


@asynccontextmanager
async def lifespan(_app):
    app_logging()
    try:
        store = open_checked()
    except StoreProblem as problem:
        logging.getLogger("clearance").critical("离校通 not started: %s", problem)
        raise SystemExit(f"离校通 not started ({problem.kind}): {problem}") from None
    write_token(store.path)
    sso_config()  # a broken config/sso.toml stops the start here, naming the key
    restored = load_limits(store, _limiters())
    logging.getLogger("clearance").info("guessing limits: %d recent failures restored", restored)
    watcher = InboxWatcher(open_store).start()
    daily = DailyBackup(store, operations_config()).start()
    # The leadership report into a folder each evening, when config/report.toml names one.
    evening = EveningReports(store, evening_settings())
    evening.start()
    tune_for_server()  # freeze what start-up allocated and set the measured GC thresholds
    workers.warm()  # the PDF/Excel worker process, started in the background
    try:
        yield
    finally:
        try:
            save_limits(store, _limiters())
        except Exception:  # logged; the backup thread, watcher and workers must still stop
            logging.getLogger("clearance").exception("guessing limits not saved")
        daily.stop()
        watcher.stop()
        evening.stop()
        workers.shutdown()


# SecurityHeaders: frame/CSP/nosniff headers on every response, /_stcore/metrics not public.
# The project's modules are imported here, once, in the main thread, before anything is served.
# Left to the first page runs and /chaxun requests, 25 sessions starting at once imported them
# concurrently in different orders; Python's import locks then hand a thread a half-initialised
# module ("cannot import name 'current_actor' from 'ui.auth'"; seen in bench.load at 25 users).
warm_up()

app = st.App("app.py", routes=[*desk_routes, *ops_routes, *auth_routes, *cas_routes, *oidc_routes,
                               *download_routes, *student_page_routes],
             lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
