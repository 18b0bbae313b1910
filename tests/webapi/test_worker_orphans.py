"""The PDF/Excel worker process ends with the server that started it: a server that is killed
(or stops before its pool's shutdown reaches the worker) must not leave the worker behind, one
orphan per server start."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SERVER = """
import os, sys
from pathlib import Path
from webapi import workers
Path(sys.argv[1]).write_text(str(workers.pool().submit(os.getpid).result()))  # the worker's pid
os._exit(0)  # die without any shutdown, as a killed server does
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose (its parent, init, reaps it).
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[-1].split()[0] != "Z"


def test_a_worker_ends_when_its_server_dies_abruptly(tmp_path):
    pid_file = tmp_path / "worker.pid"
    # No pipes: a surviving worker would hold them open.
    subprocess.run([sys.executable, "-c", SERVER, str(pid_file)], cwd=ROOT, timeout=120,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "CLEARANCE_WORKERS": "1"}, check=True)
    worker = int(pid_file.read_text())
    deadline = time.monotonic() + 20
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = _alive(worker)
    if alive:
        os.kill(worker, 9)  # leave nothing behind even when the test fails
    assert not alive, f"worker {worker} outlived its server"
