"""Where one server process spends its core: server CPU with sessions idle, and per action kind.

    .venv/bin/python -m bench.session_cpu --idle 0,25,100 --kinds all --actions 40 \
        --json bench/results-session-cpu.json

Two measurements on a copy of the demo store (the same store, sessions and server as
bench/load.py), each as the server's own CPU (utime + stime from /proc), which depends little
on what else loads the machine:

- **idle**: open N websocket sessions (the load's mix of desks on 办理 and 研究生院 on
  进度看板/学院催办), run each page once, then nobody acts for --idle-seconds: the server's
  CPU per second with N sessions open and no user acting.
- **per kind**: one action kind at a time, --actions actions one after another (a few sessions
  taking turns, so no run waits for another), the server's CPU per action: a session's first
  run of a page (`*_open`), a desk lookup (a rerun of the desk's fragment, as a browser sends
  it; `desk_lookup_full`: the whole page run again, as this bench did before), a desk mark
  (the checklist + 通过, a fragment rerun), a dashboard rerun
  without a write, a dashboard rerun after a mark, a student lookup on /chaxun.

Loopback only, bounded by the counts given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.load import (DESK_STAGE_ITEMS, HTML_PATH, LOOKUP_LABEL, Server, http_request,
                        prepare)
from bench.stclient import StreamlitSession, bool_state, text_state, trigger

KINDS = ("desk_open", "desk_lookup", "desk_lookup_full", "desk_mark", "overview_open", "overview_rerun",
         "overview_after_mark", "college_open", "college_rerun", "college_after_mark",
         "student_html")


class Bench:
    def __init__(self, server: Server, prepared, timeout: float = 120):
        self.server, self.prepared, self.timeout = server, prepared, timeout
        self.rng = random.Random(17)
        self._desk = 0
        self._viewer = 0

    def desk_cookie(self) -> dict:
        self._desk = (self._desk + 1) % (len(self.prepared.desk_tokens))
        return {"lxt_session": self.prepared.desk_tokens[self._desk]}

    def viewer_cookie(self) -> dict:
        self._viewer = (self._viewer + 1) % len(self.prepared.viewer_tokens)
        return {"lxt_session": self.prepared.viewer_tokens[self._viewer]}

    async def session(self, page: str, cookie: dict):
        s = StreamlitSession(self.server.url, page, cookie, self.timeout,
                             {"X-Forwarded-For": f"10.9.{self.rng.randrange(256)}.7"})
        await s.connect()
        run = await s.rerun()
        if run.exception:
            raise RuntimeError(f"{page}: {run.exception}")
        return s, run

    async def desk_lookup(self, s, last, no, full: bool = False):
        find = last.widget("button", "查找")
        run = await s.rerun([text_state(last.widget("text_input", LOOKUP_LABEL), no),
                             trigger(find)], fragment="" if full else find.fragment)
        if not any(no in t for t in run.texts):
            raise RuntimeError(f"desk lookup {no}: row not shown")
        return run

    async def desk_mark(self, s, last, no):
        """Look `no` up and, when its 财务处 stage is open, pass it: returns (run, wrote)."""
        run = await self.desk_lookup(s, last, no)
        ticks = [bool_state(w, True) for w in run.widgets
                 if w.kind == "checkbox" and w.label.rstrip(" *") in DESK_STAGE_ITEMS]
        button = next((w for w in run.widgets if w.kind == "button"
                       and (w.label == "通过" or w.label.startswith("F2 "))), None)
        if button is None:
            return run, False
        return await s.rerun([*ticks, trigger(button)], fragment=button.fragment), True

    def fresh_desk_students(self):
        students = list(self.prepared.desk_students)
        self.rng.shuffle(students)
        return iter(students)

    # -- idle ----------------------------------------------------------------------------------
    async def idle(self, n: int, seconds: float) -> dict:
        sessions = []
        desk = round(n * 2 / 3)
        for i in range(n):  # desks and dashboards, as in the load's 20 % / 10 %
            if i < desk:
                sessions.append(await self.session("marking", self.desk_cookie()))
            else:
                page = "overview" if i % 2 else "college"
                sessions.append(await self.session(page, self.viewer_cookie()))
        await asyncio.sleep(2)  # let the last runs' messages go out
        cpu0, t0 = self.server.cpu_seconds(), time.monotonic()
        await asyncio.sleep(seconds)
        cpu = self.server.cpu_seconds() - cpu0
        wall = time.monotonic() - t0
        for s, _ in sessions:
            await s.close()
        await asyncio.sleep(1)
        return {"mode": "idle", "sessions": n, "seconds": round(wall, 1),
                "server_cpu_cores": round(cpu / wall, 3),
                "server_cpu_ms_per_s_per_session": round(cpu / wall * 1000 / n, 2) if n else None}

    # -- one kind at a time --------------------------------------------------------------------
    async def per_kind(self, kind: str, actions: int) -> dict:
        measure = Measure(self.server)
        students = self.fresh_desk_students()
        if kind in ("desk_open", "overview_open", "college_open"):
            page = kind.split("_")[0].replace("desk", "marking")
            for _ in range(actions):
                cookie = self.desk_cookie() if page == "marking" else self.viewer_cookie()
                with measure:
                    s, _ = await self.session(page, cookie)
                await s.close()
        elif kind in ("desk_lookup", "desk_lookup_full", "desk_mark"):
            s, last = await self.session("marking", self.desk_cookie())
            wrote = 0
            while wrote < actions:
                no = next(students)
                if kind != "desk_mark":
                    with measure:
                        last = await self.desk_lookup(s, last, no, kind == "desk_lookup_full")
                    wrote += 1
                    continue
                last = await self.desk_lookup(s, last, no)  # not counted: the lookup before
                ticks = [bool_state(w, True) for w in last.widgets
                         if w.kind == "checkbox" and w.label.rstrip(" *") in DESK_STAGE_ITEMS]
                button = next((w for w in last.widgets if w.kind == "button"
                               and (w.label == "通过" or w.label.startswith("F2 "))), None)
                if button is None:
                    continue
                with measure:
                    last = await s.rerun([*ticks, trigger(button)], fragment=button.fragment)
                wrote += 1
            await s.close()
        elif kind.endswith("_rerun") or kind.endswith("_after_mark"):
            page = kind.split("_")[0]
            viewer, _ = await self.session(page, self.viewer_cookie())
            desk, last = (await self.session("marking", self.desk_cookie())
                          if kind.endswith("_after_mark") else (None, None))
            for _ in range(actions):
                if desk is not None:
                    wrote = False
                    while not wrote:
                        last, wrote = await self.desk_mark(desk, last, next(students))
                with measure:
                    run = await viewer.rerun()
                if run.exception:
                    raise RuntimeError(run.exception)
            await viewer.close()
            if desk is not None:
                await desk.close()
        elif kind == "student_html":
            for _ in range(actions):
                no, name = self.rng.choice(self.prepared.students)
                with measure:
                    xff = {"X-Forwarded-For": f"10.8.{self.rng.randrange(256)}.9"}
                    status, body, cookies = await http_request(self.server.url, "GET", HTML_PATH,
                                                               headers=xff)
                    token = body.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                    status, body, _ = await http_request(
                        self.server.url, "POST", HTML_PATH,
                        form={"student_no": no, "name": name, "csrf": token},
                        cookies=cookies, headers=xff)
                if status != 200 or f"（{no}）" not in body:
                    raise RuntimeError(f"/chaxun {no}: {status}")
        else:
            raise ValueError(kind)
        return {"mode": "kind", "kind": kind, **measure.result()}


class Measure:
    """Server CPU and wall time inside `with` blocks only (the set-up between is not counted)."""

    def __init__(self, server: Server):
        self.server = server
        self.cpu: list[float] = []
        self.wall: list[float] = []

    def __enter__(self):
        self._cpu0, self._t0 = self.server.cpu_seconds(), time.perf_counter()

    def __exit__(self, *exc):
        if exc[0] is None:
            self.cpu.append(self.server.cpu_seconds() - self._cpu0)
            self.wall.append(time.perf_counter() - self._t0)

    def result(self) -> dict:
        n = len(self.cpu)
        ordered = sorted(self.wall)
        return {"actions": n,
                "server_cpu_ms_per_action": round(sum(self.cpu) / n * 1000, 1) if n else None,
                "wall_ms_median": round(ordered[n // 2] * 1000, 1) if n else None}


async def run_all(bench: Bench, idle: list[int], idle_seconds: float, kinds: list[str],
                  actions: int, spy_dir: Path | None = None) -> list[dict]:
    rows = []
    for kind in kinds:
        spy = spying(bench.server.pid, spy_dir / f"{kind}.txt") if spy_dir else None
        try:
            row = await bench.per_kind(kind, actions)
        finally:
            if spy is not None:  # py-spy writes its samples when interrupted
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
        row["load_avg_1m"] = round(os.getloadavg()[0], 2)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    for n in idle:
        row = await bench.idle(n, idle_seconds)
        row["load_avg_1m"] = round(os.getloadavg()[0], 2)
        print(json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    return rows


def spying(pid: int, out: Path) -> subprocess.Popen:
    """py-spy sampling the server (every thread, 100/s) until interrupted: raw folded stacks
    (the kind's set-up is in them too: sum the stacks under the page's frames)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    proc = subprocess.Popen([str(spy), "record", "--pid", str(pid), "-r", "100", "-f", "raw",
                             "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # attached before the first action
    return proc


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/lxt-session-cpu"))
    ap.add_argument("--idle", default="0,25,100", help="session counts left idle")
    ap.add_argument("--idle-seconds", type=float, default=20)
    ap.add_argument("--kinds", default="all", help=f"comma list of {','.join(KINDS)} or all")
    ap.add_argument("--actions", type=int, default=30)
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--py-spy", type=Path, dest="py_spy", metavar="DIR",
                    help="record the server with py-spy during each kind into DIR/<kind>.txt")
    args = ap.parse_args(argv)
    idle = [int(n) for n in args.idle.split(",") if n]
    kinds = list(KINDS) if args.kinds == "all" else [k for k in args.kinds.split(",") if k]
    if max(idle, default=0) > 400 or args.actions > 500 or args.idle_seconds > 120:
        raise SystemExit("bounded: at most 400 idle sessions, 500 actions, 120 s idle")
    prepared = prepare(args.dir, desk_sessions=max(8, max(idle, default=0)),
                       viewer_sessions=max(4, max(idle, default=0)))
    env = dict(kv.split("=", 1) for kv in args.env)
    server = Server(prepared.db, args.dir / "server.log", env).start()
    uptime = lambda: subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()  # noqa: E731
    try:
        before = uptime()
        rows = asyncio.run(run_all(Bench(server, prepared), idle, args.idle_seconds, kinds,
                                   args.actions, args.py_spy))
        summary = {"rows": rows, "server_env": env, "uptime_before": before,
                   "uptime_after": uptime(), "cpus": os.cpu_count()}
        if args.json:
            args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
