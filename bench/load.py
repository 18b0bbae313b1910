"""The clearance week's peak on one server process: a ramp of virtual users.

    .venv/bin/python -m bench.load --steps 25,50,100,200,400 --step-seconds 45 \
        --students html --chromium --json bench/results-load.json

It copies the demo store (generated once into --dir), signs desk staff and 研究生院 viewers in
*before* the server starts (session rows written straight into the copy; each virtual user then
sends its own session cookie, as a signed-in browser does), starts `streamlit run server.py` on a
free loopback port and drives it with virtual users, each waiting 2.5–7.5 s between actions:

- 70 % students: 学号 + 姓名 lookups. `--students ws` through the Streamlit 学生查询 page over
  its websocket protocol (as shipped), `--students html` through the plain page of the same
  server (GET the form, POST the lookup: no websocket session).
- 20 % desk staff (财务处) on 办理: look a student up (学号 + Enter), then, if the stage is not
  yet passed, tick its checklist and press 通过 (a write); a passed student's visit is the
  lookup alone (撤销 is a confirmation dialog on the page). Both are reruns of the desk's
  st.fragment, as a browser sends them (the page around it is not run again).
- 10 % 研究生院 on 进度看板 / 学院催办, alternately: one page run per action.

Per step: actions/s, p50/p95/p99 latency (send → the run's `script_finished`, or the HTTP
response), errors (exceptions on the page, timeouts, refused connections), the server's CPU
(utime+stime from /proc, as a share of one core) and RSS. With --chromium, one real Chromium
(signed in as another 财务处 session) measures Enter → the student's row on 办理 during each
step. Loopback only; bounded by --steps × --step-seconds and the per-action timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from clearance.store.config import load_catalogue
from bench.stclient import StreamlitSession, bool_state, text_state, trigger

THINK = (2.5, 7.5)
MIX = (("student", 0.70), ("desk", 0.20), ("dashboard", 0.10))
LOOKUP_LABEL = "学号 / 姓名 / 姓名拼音首字母"
DESK_USER = "finance_staff"
DESK_STAGE_NAME = "财务处"
DESK_STAGE_ITEMS = tuple(i.text for i in load_catalogue().stage("finance").items)
VIEWER = "gs"
HTML_PATH = "/chaxun"


# -- the store ------------------------------------------------------------------------------
@dataclass
class Prepared:
    db: Path
    students: list[tuple[str, str]]      # (学号, 姓名) for lookups
    desk_students: list[str]             # 学号 whose finance stage the desk may toggle
    desk_tokens: list[str]
    viewer_tokens: list[str]


def prepare(workdir: Path, desk_sessions: int, viewer_sessions: int) -> Prepared:
    from clearance.adapters.sessions import start_session
    from clearance.root import close_all_stores, open_store
    from loaders.demo import generate

    workdir.mkdir(parents=True, exist_ok=True)
    master = workdir / "demo-master.duckdb"
    if not master.exists():
        generate(open_store(master))
        close_all_stores()
    db = workdir / "load.duckdb"
    Path(f"{db}.wal").unlink(missing_ok=True)  # left by a server that was killed
    shutil.copy(master, db)
    store = open_store(db)
    students = [tuple(r) for r in store.read_rows(
        "SELECT student_no, name FROM students ORDER BY student_no")]
    # The desk toggles finance for students whose final stage is still open (a reset under a
    # done final stage would be refused, and a refused action is not the load we want).
    desk_students = [r[0] for r in store.read_rows(
        "SELECT s.student_no FROM stage_status s JOIN stage_status f"
        " ON f.student_no = s.student_no AND f.stage_id = 'gso_office'"
        " WHERE s.stage_id = 'finance' AND f.state NOT IN ('passed', 'not_needed')"
        " ORDER BY s.student_no")]
    desk_tokens = [start_session(store, DESK_USER) for _ in range(desk_sessions)]
    viewer_tokens = [start_session(store, VIEWER) for _ in range(viewer_sessions)]
    close_all_stores()
    return Prepared(db, students, desk_students, desk_tokens, viewer_tokens)


# -- the server -----------------------------------------------------------------------------
class Server:
    def __init__(self, db: Path, log: Path, env: dict[str, str]):
        from tests.browser.harness import AppServer
        self.app = AppServer(db, env)
        self.app.log = log

    def start(self) -> "Server":
        self.app.start(timeout=120)
        return self

    @property
    def url(self) -> str:
        return self.app.url

    @property
    def pid(self) -> int:
        return self.app.proc.pid

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def profile(self, folder: Path, users: int, seconds: float) -> subprocess.Popen:
        """py-spy samples the server (every thread, 100/s) for one step: raw folded stacks,
        step-<users>.txt (`flamegraph.pl` or a few lines of Python sum them)."""
        folder.mkdir(parents=True, exist_ok=True)
        spy = Path(sys.executable).with_name("py-spy")
        return subprocess.Popen(
            [str(spy), "record", "--pid", str(self.pid), "-d", str(int(seconds)), "-r", "100",
             "-f", "raw", "-o", str(folder / f"step-{users}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        self.app.stop()


# -- measurements ---------------------------------------------------------------------------
@dataclass
class Sample:
    kind: str
    at: float
    seconds: float
    ok: bool
    error: str = ""
    bytes: int = 0


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)

    def add(self, kind: str, started: float, ok: bool, error: str = "", size: int = 0) -> None:
        now = time.monotonic()
        self.samples.append(Sample(kind, now, now - started, ok, error, size))

    def window(self, start: float, end: float) -> list[Sample]:
        return [s for s in self.samples if start <= s.at < end]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# -- virtual users --------------------------------------------------------------------------
def client_ip(rng: random.Random) -> str:
    """Each user's own address, as the reverse proxy reports it (X-Forwarded-For from the
    loopback peer, which config/student_page.toml trusts): students are not one NAT."""
    return f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


class VirtualUser:
    def __init__(self, ctx: "Context", rng: random.Random):
        self.ctx = ctx
        self.rng = rng
        self.ip = client_ip(rng)

    async def think(self) -> None:
        await asyncio.sleep(self.rng.uniform(*THINK))

    async def run(self) -> None:
        await self.think()  # users arrive spread over the think time, not all at once
        while not self.ctx.stopping:
            await self.act_safely()
            await self.think()

    async def act_safely(self) -> None:
        try:
            await self.act()
        except Exception as exc:  # a failed action is an error of the step, not of the bench
            self.ctx.rec.add(self.kind, time.monotonic() - self.ctx.timeout, False,
                             f"{type(exc).__name__}: {exc}"[:200])
            await self.reset()

    async def reset(self) -> None:
        pass


class WsUser(VirtualUser):
    page = ""
    cookie: dict | None = None

    def __init__(self, ctx, rng):
        super().__init__(ctx, rng)
        self.session: StreamlitSession | None = None
        self.last = None

    async def open(self) -> None:
        self.session = StreamlitSession(self.ctx.url, self.page, self.cookie, self.ctx.timeout,
                                        {"X-Forwarded-For": self.ip})
        await self.session.connect()
        self.last = await self.timed(self.kind + "_open", self.session.rerun())

    async def timed(self, kind: str, coro):
        started = time.monotonic()
        run = await coro
        ok = run.exception is None
        self.ctx.rec.add(kind, started, ok, run.exception or "", run.bytes)
        self.ctx.bytes_sent += run.bytes
        return run

    async def reset(self) -> None:
        if self.session is not None:
            try:
                await self.session.close()
            except Exception:
                pass
        self.session = None


class WsStudent(WsUser):
    kind = "student"
    page = "student"

    async def act(self) -> None:
        if self.session is None:
            await self.open()
            await self.think()
        no, name = self.rng.choice(self.ctx.prepared.students)
        r = self.last
        if r.has_text("各环节办理情况"):  # showing a previous lookup: leave first
            r = await self.session.rerun([trigger(r.widget("button", "退出 / 查询其他学号"))])
        run = await self.timed(self.kind, self.session.rerun([
            text_state(r.widget("text_input", "学号"), no),
            text_state(r.widget("text_input", "姓名"), name),
            trigger(r.widget("button", "查询"))]))
        if not run.has_text(f"（{no}）"):
            self.ctx.rec.add(self.kind, time.monotonic(), False, "lookup did not show the row")
        self.last = run


class HtmlStudent(VirtualUser):
    kind = "student"

    async def act(self) -> None:
        no, name = self.rng.choice(self.ctx.prepared.students)
        started = time.monotonic()
        xff = {"X-Forwarded-For": self.ip}
        status, body, cookies = await http_request(self.ctx.url, "GET", HTML_PATH, headers=xff)
        token = re.search(r'name="csrf" value="([^"]+)"', body)
        if status != 200 or not token:
            self.ctx.rec.add(self.kind, started, False, f"GET {status}")
            return
        status, body, _ = await http_request(
            self.ctx.url, "POST", HTML_PATH, form={"student_no": no, "name": name,
                                                   "csrf": token.group(1)}, cookies=cookies,
            headers=xff)
        ok = status == 200 and f"（{no}）" in body
        self.ctx.rec.add(self.kind, started, ok, "" if ok else f"POST {status}")


class Desk(WsUser):
    kind = "desk"
    page = "marking"

    def __init__(self, ctx, rng):
        super().__init__(ctx, rng)
        self.cookie = {"lxt_session": ctx.next_desk_token()}

    async def act(self) -> None:
        if self.session is None:
            await self.open()
            await self.think()
        no = self.rng.choice(self.ctx.prepared.desk_students)
        r = self.last
        box, find = r.widget("text_input", LOOKUP_LABEL), r.widget("button", "查找")
        run = await self.timed("desk_lookup", self.session.rerun(
            [text_state(box, no), trigger(find)], fragment=find.fragment))
        if not any(no in t for t in run.texts):
            self.ctx.rec.add("desk_lookup", time.monotonic(), False, "row not shown")
            self.last = run
            return
        await self.think()
        passed = any(t.startswith(f"**{DESK_STAGE_NAME}** 当前：已办理") for t in run.texts)
        if passed:
            # 撤销 is a confirmation dialog on the desk page now: a passed student's visit is
            # the lookup alone (the store's other desk students still get passes).
            self.last = run
            return
        # The desk ticks the stage's checklist (财务处: two items, no fields) and presses 通过
        # (a × student's: "F2 …，通过"), all in one rerun, as a browser sends them.
        ticks = [bool_state(w, True) for w in run.widgets
                 if w.kind == "checkbox" and w.label.rstrip(" *") in DESK_STAGE_ITEMS]
        button = next((w for w in run.widgets if w.kind == "button"
                       and (w.label == "通过" or w.label.startswith("F2 "))), None)
        if button is None:
            self.ctx.rec.add("desk_mark", time.monotonic(), False, "no 通过 button")
            self.last = run
            return
        self.last = await self.timed("desk_mark", self.session.rerun([*ticks, trigger(button)],
                                                                     fragment=button.fragment))


class Dashboard(WsUser):
    kind = "dashboard"

    def __init__(self, ctx, rng):
        super().__init__(ctx, rng)
        self.cookie = {"lxt_session": ctx.next_viewer_token()}
        self.page = rng.choice(["overview", "college"])

    async def act(self) -> None:
        if self.session is None:
            await self.open()
            return
        self.last = await self.timed(self.kind, self.session.rerun())


# -- HTTP for the plain student page --------------------------------------------------------
async def http_request(base: str, method: str, path: str, form: dict | None = None,
                       cookies: dict | None = None, timeout: float = 60.0,
                       headers: dict | None = None):
    from urllib.parse import urlencode, urlsplit
    host = urlsplit(base)
    body = urlencode(form).encode() if form else b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host.netloc}", "Connection: close",
             "User-Agent: bench-load", "Accept-Language: zh-CN"]
    if form is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded",
                  f"Content-Length: {len(body)}", f"Origin: {base}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host.hostname, host.port), timeout)
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    status = int(head_lines[0].split()[1])
    got = {}
    chunked = False
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "set-cookie":
            k, _, v = value.strip().split(";")[0].partition("=")
            got[k] = v
        if name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        payload = _dechunk(payload)
    return status, payload.decode("utf-8", "replace"), got


def _dechunk(data: bytes) -> bytes:
    out, i = b"", 0
    while True:
        j = data.index(b"\r\n", i)
        size = int(data[i:j].split(b";")[0], 16)
        if size == 0:
            return out
        out += data[j + 2:j + 2 + size]
        i = j + 2 + size + 2


# -- the ramp -------------------------------------------------------------------------------
@dataclass
class Context:
    url: str
    prepared: Prepared
    rec: Recorder
    timeout: float
    students: str
    stopping: bool = False
    bytes_sent: int = 0
    _desk: int = 0
    _viewer: int = 0

    def next_desk_token(self) -> str:
        self._desk += 1
        return self.prepared.desk_tokens[self._desk - 1]

    def next_viewer_token(self) -> str:
        self._viewer += 1
        return self.prepared.viewer_tokens[self._viewer - 1]


def user_kinds(total: int) -> list[str]:
    """The mix for `total` users, deterministic: 70/20/10, rounded, remainder to students."""
    desk = round(total * 0.20)
    dash = round(total * 0.10)
    return ["desk"] * desk + ["dashboard"] * dash + ["student"] * (total - desk - dash)


def make_user(kind: str, ctx: Context, rng: random.Random) -> VirtualUser:
    if kind == "student":
        return (HtmlStudent if ctx.students == "html" else WsStudent)(ctx, rng)
    return {"desk": Desk, "dashboard": Dashboard}[kind](ctx, rng)


async def ramp(ctx: Context, server: Server, steps: list[int], step_seconds: float,
               warmup: float, probe, profile_dir: Path | None = None) -> list[dict]:
    rng = random.Random(17)
    tasks: list[asyncio.Task] = []
    have: dict[str, int] = {"student": 0, "desk": 0, "dashboard": 0}
    results = []
    for users in steps:
        want = {k: user_kinds(users).count(k) for k in have}
        for kind in have:
            for _ in range(want[kind] - have[kind]):
                tasks.append(asyncio.create_task(
                    make_user(kind, ctx, random.Random(rng.random())).run()))
            have[kind] = max(have[kind], want[kind])
        await asyncio.sleep(warmup)
        load_before = os.getloadavg()[0]
        cpu0, t0, client0 = server.cpu_seconds(), time.monotonic(), time.process_time()
        probe_result = {}
        spy = server.profile(profile_dir, users, step_seconds) if profile_dir else None
        if probe is not None:
            try:
                probe_result = await asyncio.to_thread(probe.measure, step_seconds)
            except Exception as exc:  # the browser timed out: a result of the step, reported
                probe_result = {"chromium_error": f"{type(exc).__name__}: {exc}"[:300]}
        else:
            await asyncio.sleep(step_seconds)
        t1 = time.monotonic()
        cpu = (server.cpu_seconds() - cpu0) / (t1 - t0)
        if spy is not None:
            spy.wait(30)
        window = ctx.rec.window(t0, t1)
        actions = [s for s in window if not s.kind.endswith("_open")]
        ok = [s.seconds for s in actions if s.ok]
        errors = [s for s in window if not s.ok]
        row = {
            "users": users, "seconds": round(t1 - t0, 1),
            "actions": len(actions), "actions_per_s": round(len(actions) / (t1 - t0), 1),
            "p50": round(pct(ok, 50), 3), "p95": round(pct(ok, 95), 3),
            "p99": round(pct(ok, 99), 3), "errors": len(errors),
            "error_kinds": sorted({e.error for e in errors})[:5],
            "per_kind": {k: {"n": len(v), "p50": round(pct(v, 50), 3), "p95": round(pct(v, 95), 3),
                             "kb_per_action": round(statistics.mean(b) / 1024, 1) if b else 0}
                         for k in sorted({s.kind for s in actions})
                         for v in [[s.seconds for s in actions if s.kind == k and s.ok]]
                         for b in [[s.bytes for s in actions if s.kind == k and s.ok]]},
            "server_cpu_cores": round(cpu, 2), "server_rss_mb": round(server.rss_mb()),
            # the virtual users share the machine: their own CPU, to tell a starved client
            "client_cpu_cores": round((time.process_time() - client0) / (t1 - t0), 2),
            "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            **probe_result,
        }
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    ctx.stopping = True
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return results


# -- one real Chromium ----------------------------------------------------------------------
class ChromiumProbe:
    """One real Chromium during each step, alternating two users: a signed-in 财务处 desk on
    办理 (type a 学号, press Enter, time until the student's heading shows) and a student on
    /chaxun (type 学号 + 姓名, press Enter, time until their row shows)."""

    def __init__(self, url: str, token: str, desk_students: list[str],
                 students: list[tuple[str, str]]):
        self.url, self.token = url, token
        self.desk_students, self.students = desk_students, students

    def measure(self, seconds: float) -> dict:
        from tests.browser.harness import chromium, wait_idle
        desk, student = [], []
        deadline = time.monotonic() + seconds
        rng = random.Random(4)
        with chromium() as page:
            page.context.add_cookies([{"name": "lxt_session", "value": self.token,
                                       "url": self.url}])
            started = time.monotonic()
            page.goto(f"{self.url}/marking", timeout=120_000)
            wait_idle(page, timeout=120_000)
            first_load = time.monotonic() - started
            phone = page.context.new_page()
            while time.monotonic() < deadline - 3:
                no = rng.choice(self.desk_students)
                box = page.get_by_label(LOOKUP_LABEL)
                box.fill(no)
                t = time.monotonic()
                box.press("Enter")
                page.get_by_role("heading").filter(has_text=no).first.wait_for(timeout=60_000)
                desk.append(time.monotonic() - t)
                page.wait_for_timeout(rng.uniform(*THINK) * 1000)

                no, name = rng.choice(self.students)
                phone.goto(f"{self.url}{HTML_PATH}", timeout=60_000)
                phone.get_by_label("学号").fill(no)
                phone.get_by_label("姓名").fill(name)
                t = time.monotonic()
                phone.get_by_label("姓名").press("Enter")
                phone.get_by_role("heading").filter(has_text=no).first.wait_for(timeout=60_000)
                student.append(time.monotonic() - t)
                phone.wait_for_timeout(rng.uniform(*THINK) * 1000)
        med = lambda v: round(statistics.median(v), 3) if v else None  # noqa: E731
        return {"chromium_desk_first_load_s": round(first_load, 2),
                "chromium_desk_enter_to_row_median_s": med(desk),
                "chromium_desk_enter_to_row_max_s": round(max(desk), 3) if desk else None,
                "chromium_student_enter_to_row_median_s": med(student),
                "chromium_student_enter_to_row_max_s": round(max(student), 3) if student else None,
                "chromium_lookups": len(desk) + len(student)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/lxt-load"))
    ap.add_argument("--steps", default="25,50,100,200,400")
    ap.add_argument("--step-seconds", type=float, default=45)
    ap.add_argument("--warmup", type=float, default=8, help="seconds after adding users")
    ap.add_argument("--students", choices=["ws", "html"], default="html")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--chromium", action="store_true")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--py-spy", type=Path, dest="py_spy", metavar="DIR",
                    help="record each step's server profile with py-spy into DIR")
    args = ap.parse_args(argv)
    steps = [int(s) for s in args.steps.split(",")]
    if max(steps) > 1000 or args.step_seconds > 600:
        sys.exit("bounded: at most 1000 users and 600 s per step")
    top = max(steps)
    prepared = prepare(args.dir, desk_sessions=user_kinds(top).count("desk") + 1,
                       viewer_sessions=user_kinds(top).count("dashboard"))
    env = dict(kv.split("=", 1) for kv in args.env)
    server = Server(prepared.db, args.dir / "server.log", env).start()
    try:
        ctx = Context(server.url, prepared, Recorder(), args.timeout, args.students)
        probe = (ChromiumProbe(server.url, prepared.desk_tokens[-1], prepared.desk_students,
                               prepared.students) if args.chromium else None)
        started = time.monotonic()
        rows = asyncio.run(ramp(ctx, server, steps, args.step_seconds, args.warmup, probe,
                                 args.py_spy))
        summary = {"students": args.students, "steps": rows, "server_env": env,
                   "wall_seconds": round(time.monotonic() - started),
                   "machine": {"cpus": os.cpu_count(), "uptime": subprocess.run(
                       ["uptime"], capture_output=True, text=True).stdout.strip()}}
        if args.json:
            args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
