"""Memory and GC over a long run: N thousand reruns against one server process.

    .venv/bin/python -m bench.memory --reruns 6000 --thresholds default,700:10:10,20000:20:20

For each GC setting it starts `streamlit run server.py` on a copy of the demo store (no
post-run GC, as configured) and runs, back to back with `--concurrency` sessions, the reruns a
day brings: students' lookups and 退出 on 学生查询, 办理 lookups and marks, 进度看板 runs. It
reports the server's RSS after start-up and every `--every` reruns (growth = last − first after
the warm-up), rerun latency, server CPU per rerun, and the collector's own counts and pause
times (from CLEARANCE_GC_STATS, written by webapi/gc_tuning.py). `default` = the thresholds in
webapi/gc_tuning.py; `a:b:c` = explicit thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from pathlib import Path

from bench.load import LOOKUP_LABEL, Server, client_ip, prepare
from bench.stclient import StreamlitSession, text_state, trigger


async def _student_loop(url, students, n, lat, rng):
    s = StreamlitSession(url, "student", headers={"X-Forwarded-For": client_ip(rng)})
    await s.connect()
    r = await s.rerun()
    for _ in range(n // 2):
        no, name = rng.choice(students)
        t = time.perf_counter()
        r = await s.rerun([text_state(r.widget("text_input", "学号"), no),
                           text_state(r.widget("text_input", "姓名"), name),
                           trigger(r.widget("button", "查询"))])
        lat.append(time.perf_counter() - t)
        t = time.perf_counter()
        r = await s.rerun([trigger(r.widget("button", "退出 / 查询其他学号"))])
        lat.append(time.perf_counter() - t)
    await s.close()


async def _desk_loop(url, token, students, n, lat, rng):
    s = StreamlitSession(url, "marking", {"lxt_session": token})
    await s.connect()
    r = await s.rerun()
    for _ in range(n):
        t = time.perf_counter()
        r = await s.rerun([text_state(r.widget("text_input", LOOKUP_LABEL), rng.choice(students)),
                           trigger(r.widget("button", "查找"))])
        lat.append(time.perf_counter() - t)
    await s.close()


async def _dashboard_loop(url, token, n, lat):
    s = StreamlitSession(url, "overview", {"lxt_session": token})
    await s.connect()
    for _ in range(n):
        t = time.perf_counter()
        await s.rerun()
        lat.append(time.perf_counter() - t)
    await s.close()


async def _guarded(job, errors: list[str]):
    try:
        await job
    except Exception as exc:  # counted and reported; the chunk goes on
        errors.append(f"{type(exc).__name__}: {exc}"[:200])


async def one_chunk(url, prepared, reruns, concurrency, rng, errors) -> list[float]:
    lat: list[float] = []
    per = max(2, reruns // concurrency)
    jobs = []
    for i in range(concurrency):
        kind = i % 10
        if kind < 7:
            jobs.append(_student_loop(url, prepared.students, per, lat, rng))
        elif kind < 9:
            jobs.append(_desk_loop(url, prepared.desk_tokens[i % len(prepared.desk_tokens)],
                                   prepared.desk_students, per, lat, rng))
        else:
            jobs.append(_dashboard_loop(url, prepared.viewer_tokens[0], max(1, per // 4), lat))
    await asyncio.gather(*(_guarded(j, errors) for j in jobs))
    return lat


def run_setting(args, label: str) -> dict:
    prepared = prepare(args.dir, desk_sessions=4, viewer_sessions=1)
    stats_file = args.dir / f"gc-{label.replace(':', '_')}.json"
    stats_file.unlink(missing_ok=True)
    env = {"CLEARANCE_GC_STATS": str(stats_file)}
    if label != "default":
        env["CLEARANCE_GC_THRESHOLDS"] = label.replace(":", ",")
    server = Server(prepared.db, args.dir / f"server-{label.replace(':', '_')}.log", env).start()
    rng = random.Random(1)
    try:
        rss = [round(server.rss_mb(), 1)]
        lat_all: list[float] = []
        errors: list[str] = []
        cpu0 = server.cpu_seconds()
        done = 0
        while done < args.reruns:
            lat = asyncio.run(one_chunk(server.url, prepared, args.every, args.concurrency, rng,
                                        errors))
            if not lat:
                break
            lat_all += lat
            done += len(lat)
            rss.append(round(server.rss_mb(), 1))
            print(f"  {label}: {done} reruns, RSS {rss[-1]} MB", flush=True)
        cpu = server.cpu_seconds() - cpu0
        gc_stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    finally:
        server.stop()
    warm = rss[1] if len(rss) > 2 else rss[0]
    return {"setting": label, "reruns": len(lat_all), "rss_mb": rss,
            "rss_growth_after_first_chunk_mb": round(rss[-1] - warm, 1),
            "rerun_p50_ms": round(statistics.median(lat_all) * 1000, 1),
            "rerun_p95_ms": round(sorted(lat_all)[int(0.95 * (len(lat_all) - 1))] * 1000, 1),
            "server_cpu_ms_per_rerun": round(cpu / max(1, len(lat_all)) * 1000, 1),
            "errors": len(errors), "error_kinds": sorted(set(errors))[:5],
            "gc": gc_stats}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/lxt-memory"))
    ap.add_argument("--reruns", type=int, default=6000)
    ap.add_argument("--every", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=10)
    ap.add_argument("--thresholds", default="default")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.reruns > 100_000:
        raise SystemExit("bounded: at most 100,000 reruns")
    results = []
    for label in args.thresholds.split(","):
        result = run_setting(args, label)
        print(json.dumps(result, ensure_ascii=False), flush=True)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")


if __name__ == "__main__":
    main()
