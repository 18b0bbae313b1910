"""Lookups per second on the plain student page (/chaxun) of one server process.

    .venv/bin/python -m bench.student_http --seconds 20 --clients 8 [--url http://127.0.0.1:PORT]

Without --url it starts `streamlit run server.py` on a copy of the demo store (bench/load.py's
`prepare`). Each client thread keeps one HTTP/1.1 connection (as a phone's browser does) and
posts 学号 + 姓名 lookups of demo students back to back (each student once per server, so
no lookup is a row-cache hit; a step ends early when the roster is used up; a fresh server per
step), each from its own address
(X-Forwarded-For from the loopback proxy), carrying the form token and cookie of the previous
page. Reports lookups/s, latency p50/p95, errors, and the server's CPU per lookup (/proc).
Loopback only; bounded by --seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


class Pool:
    """Students not yet looked up on this server: no lookup is answered from the server's row
    cache (a student's second lookup would be, until the next mark), so every lookup pays for
    its statement, as when desks are marking all the while."""

    def __init__(self, students, seed):
        self._left = list(students)
        random.Random(seed).shuffle(self._left)
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            return self._left.pop() if self._left else None


def client_loop(url, students, stop_at, out, errors, seed):
    rng = random.Random(seed)
    parts = urlsplit(url)
    assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    con = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    con.request("GET", "/chaxun", headers={"X-Forwarded-For": ip})
    r = con.getresponse()
    body = r.read().decode()
    cookie = r.getheader("set-cookie").split(";")[0]
    token = TOKEN.search(body).group(1)
    while time.monotonic() < stop_at:
        picked = students.take()
        if picked is None:
            break
        no, name = picked
        data = urlencode({"student_no": no, "name": name, "csrf": token})
        t = time.perf_counter()
        con.request("POST", "/chaxun", body=data, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
            "Origin": url, "X-Forwarded-For": ip})
        r = con.getresponse()
        body = r.read().decode()
        took = time.perf_counter() - t
        if r.status != 200 or f"（{no}）" not in body:
            errors.append(r.status)
            continue
        out.append(took)
        cookie = r.getheader("set-cookie").split(";")[0]
        token = TOKEN.search(body).group(1)
    con.close()


def measure(url, students, seconds, clients, cpu_seconds=None) -> dict:
    out: list[float] = []
    errors: list[int] = []
    cpu0 = cpu_seconds() if cpu_seconds else None
    started = time.monotonic()
    stop_at = started + seconds
    threads = [threading.Thread(target=client_loop, args=(url, students, stop_at, out, errors, i))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    result = {"clients": clients, "seconds": round(wall, 1), "lookups": len(out),
              "lookups_per_s": round(len(out) / wall, 1),
              "p50_ms": round(statistics.median(out) * 1000, 1) if out else None,
              "p95_ms": round(sorted(out)[int(0.95 * (len(out) - 1))] * 1000, 1) if out else None,
              "errors": len(errors), "load_avg_1m": round(os.getloadavg()[0], 2)}
    if cpu_seconds and out:
        result["server_cpu_ms_per_lookup"] = round((cpu_seconds() - cpu0) / len(out) * 1000, 2)
    return result


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/lxt-student-http"))
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", default="8")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.seconds > 300:
        raise SystemExit("bounded: at most 300 s")
    from bench.load import Server, prepare
    prepared = prepare(args.dir, 0, 0)
    server = None
    url, cpu = args.url, None
    if not url:
        server = Server(prepared.db, args.dir / "server.log", {}).start()
        url, cpu = server.url, server.cpu_seconds
    results = []
    try:
        for n, clients in enumerate(args.clients.split(",")):
            if server and n:  # a fresh server per step: no student's row cached from before
                server.stop()
                server = Server(prepared.db, args.dir / "server.log", {}).start()
                url, cpu = server.url, server.cpu_seconds
            pool = Pool(prepared.students, n)
            # Warm-up: first requests, templates; 200 students used up, never looked up again.
            measure(url, Pool([pool.take() for _ in range(200)], n), 3, 4, cpu)
            results.append(measure(url, pool, args.seconds, int(clients), cpu))
    finally:
        if server:
            server.stop()
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
