"""CPU-bound work outside the interpreter lock: a small pool of worker processes.

The server is one Python process; its page runs, pandas and protobuf share one interpreter
lock, so one core. DuckDB releases the lock itself. What else is pure CPU and self-contained —
the advisor-form PDF (fpdf2 + a CJK font subset: ~100 ms each) and the lagging list's Excel
export (openpyxl) — runs here, in processes started with `spawn` (never `fork`: the server has
threads and an open DuckDB file), so it uses the second core instead of stalling every
session. bench/workers.py measures it.

`CLEARANCE_WORKERS=0` runs the same work in a thread of the server (for the benchmark, or a
machine with one core); the default is one worker process, started on first use.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial

from clearance.adapters.advisor_form import FormSettings, advisor_form_pdf

_pool: Executor | None = None
_lock = threading.Lock()


def workers_wanted() -> int:
    raw = os.environ.get("CLEARANCE_WORKERS", "1")
    return max(0, int(raw)) if raw.isdigit() else 1


PARENT_CHECK_SECONDS = 1.0


def _exit_with_parent(parent: int) -> None:
    """In a worker: end when the server that started it is gone. A server killed (or stopped
    before its pool's shutdown reached the worker) left its worker blocked on the call queue
    for ever, one orphan per server start."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def pool() -> Executor:
    global _pool
    with _lock:
        if _pool is None:
            n = workers_wanted()
            _pool = (ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_exit_with_parent, initargs=(os.getpid(),))
                     if n else ThreadPoolExecutor(2, thread_name_prefix="cpu-work"))
        return _pool


def _import_libraries() -> None:
    import openpyxl  # noqa: F401  (the first export would pay for these imports otherwise)
    import fpdf  # noqa: F401


def warm() -> None:
    """Start the worker at server start-up, without waiting for it."""
    pool().submit(_import_libraries)


def shutdown() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None


def run_sync(fn, *args):
    """For code on a session thread (a Streamlit download callable): wait for the pool."""
    return pool().submit(fn, *args).result()


async def run(fn, *args):
    return await asyncio.get_running_loop().run_in_executor(pool(), partial(fn, *args))


async def advisor_form_pdf_in_worker(name: str, student_no: str, level: str,
                                     clearance_type: str, college: str,
                                     settings: FormSettings) -> bytes:
    return await run(advisor_form_pdf, name, student_no, level, clearance_type, college,
                     settings)
