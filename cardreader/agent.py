"""The desk agent: runs on the PC at an office desk where the card reader is plugged in, reads
cards with pyscard and sends each tap to the 离校通 server; the scan page signed in at that desk
shows the student.

    python -m cardreader.agent --server https://lxt.example.edu.cn --token ldt_...
    python -m cardreader.agent --server URL --token TOKEN --once     # installation check

The token may also come from the environment variable CLEARANCE_DESK_TOKEN (then it does not
show in the process list). `--once` waits for one card, asks the server who it belongs to
(GET /api/desk/lookup — nothing is recorded, so a check does not pop up on the live desk screen),
prints one JSON object and exits: 0 the card belongs to a student, 1 unknown card,
2 no card / reader problem, 3 server or token problem.

Only the standard library and pyscard: the desk PC needs no database or web framework.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from cardreader.reader import CardPoller, ReaderFailure, read_one

EXIT_FOUND, EXIT_UNKNOWN_CARD, EXIT_READER, EXIT_SERVER = 0, 1, 2, 3
RETRY_SECONDS = 2.0  # after a reader or server failure, before trying again


class ServerError(Exception):
    """The server could not be reached or refused the token; the message is Chinese."""


class DeskClient:
    def __init__(self, server: str, token: str, timeout: float = 5.0):
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.server + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("error", "")
            except ValueError:
                message = ""
            raise ServerError(message or f"服务器返回错误 HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise ServerError(f"无法连接离校通服务器 {self.server}：{getattr(exc, 'reason', exc)}") from exc

    def ping(self) -> dict:
        return self._request("GET", "/api/desk/ping")["desk"]

    def send_scan(self, uid: str, reader: str) -> dict:
        return self._request("POST", "/api/desk/scans", {"uid": uid, "reader": reader})

    def lookup(self, uid: str) -> dict:
        return self._request("GET", "/api/desk/lookup?" + urllib.parse.urlencode({"uid": uid}))


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _describe(result: dict) -> str:
    student = result.get("student")
    if not student:
        return f"卡 {result['uid']}：未登记的校园卡"
    open_stages = [s["name"] for s in student["stages"] if not s["done"]]
    status = "全部环节已办结" if not open_stages else "未办结：" + "、".join(open_stages)
    return f"卡 {result['uid']}：{student['name']}（{student['student_no']}，{student['college']}）{status}"


def run_once(client: DeskClient, reader: str, wait: float) -> int:
    output: dict = {"uid": None, "reader": None, "student": None}
    try:
        tap = read_one(reader, timeout=wait)
    except (ReaderFailure, TimeoutError) as exc:
        output["error"] = str(exc)
        print(json.dumps(output, ensure_ascii=False))
        return EXIT_READER
    output.update(uid=tap.uid, reader=tap.reader)
    try:
        result = client.lookup(tap.uid)
    except ServerError as exc:
        output["error"] = str(exc)
        print(json.dumps(output, ensure_ascii=False))
        return EXIT_SERVER
    output.update(desk=result["desk"], student=result["student"])
    print(json.dumps(output, ensure_ascii=False))
    return EXIT_FOUND if result["student"] else EXIT_UNKNOWN_CARD


def run_forever(client: DeskClient, reader: str, poll: float) -> int:
    try:
        desk = client.ping()
    except ServerError as exc:
        _say(str(exc))
        return EXIT_SERVER
    _say(f"工作台“{desk['name']}”（{desk['stage_name']}）已连接 {client.server}，等待刷卡……")
    poller = CardPoller(reader)
    last_problem = ""
    while True:
        try:
            tap = poller.poll(poll)
        except ReaderFailure as exc:
            if str(exc) != last_problem:  # say it once, not every poll
                _say(str(exc))
                last_problem = str(exc)
            time.sleep(RETRY_SECONDS)
            continue
        last_problem = ""
        if tap is None:
            continue
        try:
            _say(_describe(client.send_scan(tap.uid, tap.reader)))
        except ServerError as exc:
            _say(f"卡 {tap.uid} 未能发送：{exc}。请让学生稍后重新刷卡。")
            if "吊销" in str(exc) or "无效" in str(exc):
                return EXIT_SERVER


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cardreader.agent", description="离校通刷卡工作台程序")
    p.add_argument("--server", required=True, help="离校通服务器地址，如 https://lxt.example.edu.cn")
    p.add_argument("--token", default=os.environ.get("CLEARANCE_DESK_TOKEN"),
                   help="工作台令牌（也可用环境变量 CLEARANCE_DESK_TOKEN）")
    p.add_argument("--reader", default="", help="读卡器名称的一部分（默认：第一个读卡器）")
    p.add_argument("--once", action="store_true", help="读一张卡，输出 JSON 后退出（安装检查）")
    p.add_argument("--wait", type=float, default=30.0, help="--once 等待刷卡的秒数")
    p.add_argument("--poll", type=float, default=0.5, help="每次等待读卡的秒数")
    args = p.parse_args(argv)
    if not args.token:
        p.error("缺少 --token（或环境变量 CLEARANCE_DESK_TOKEN）")
    client = DeskClient(args.server, args.token)
    if args.once:
        return run_once(client, args.reader, args.wait)
    try:
        return run_forever(client, args.reader, args.poll)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
