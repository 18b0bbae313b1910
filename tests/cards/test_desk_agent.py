"""The desk agent end to end: a real pcscd + virtual card on the 'desk PC', the agent process,
and the app's HTTP endpoint on a running server over the demo store."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

from clearance.rules.actors import SYSTEM
from clearance.store.desk_tokens import issue_desk, revoke_desk
from clearance.root import close_all_stores, open_store
from loaders.cards import demo_uid
from tests.browser.harness import running_app
from tests.cards.pcscd import VIRTUAL_READER
from tests.cards.vpcd_card import VirtualCard

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desk_app(demo_db_path):
    """The app over the demo store with one active and one revoked desk token."""
    store = open_store(demo_db_path)
    _desk, token = issue_desk(store, SYSTEM, "一卡通中心 A区 1号窗口", "card_center")
    old, revoked = issue_desk(store, SYSTEM, "旧工作台", "card_center")
    revoke_desk(store, SYSTEM, old.desk_id)
    student_no, name = store.read_rows("SELECT student_no, name FROM students ORDER BY 1 LIMIT 1")[0]
    close_all_stores()
    with running_app(demo_db_path) as server:
        yield {"server": server, "token": token, "revoked": revoked, "student_no": student_no,
               "name": name, "db": demo_db_path}


def _agent(app, token, *args, timeout=30):
    return subprocess.run(
        [sys.executable, "-m", "cardreader.agent", "--server", app["server"].url, "--token", token,
         "--reader", VIRTUAL_READER, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _post(url, token, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_once_prints_the_student_of_the_card(pcscd, desk_app):
    with VirtualCard(demo_uid(desk_app["student_no"])).inserted():
        result = _agent(desk_app, desk_app["token"], "--once", "--wait", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert out["uid"] == demo_uid(desk_app["student_no"])
    assert out["student"]["student_no"] == desk_app["student_no"]
    assert out["student"]["name"] == desk_app["name"]
    assert len(out["student"]["stages"]) == 12
    assert out["desk"]["stage_id"] == "card_center"


def test_once_with_an_unknown_card(pcscd, desk_app):
    with VirtualCard("DEADBEEF").inserted():
        result = _agent(desk_app, desk_app["token"], "--once", "--wait", "10")
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["uid"] == "DEADBEEF" and out["student"] is None


def test_once_with_a_revoked_token(pcscd, desk_app):
    with VirtualCard(demo_uid(desk_app["student_no"])).inserted():
        result = _agent(desk_app, desk_app["revoked"], "--once", "--wait", "10")
    assert result.returncode == 3
    assert "吊销" in json.loads(result.stdout)["error"]


def test_once_with_no_card(pcscd, desk_app):
    result = _agent(desk_app, desk_app["token"], "--once", "--wait", "1")
    assert result.returncode == 2
    assert "超时" in json.loads(result.stdout)["error"]


def test_running_agent_sends_each_tap_to_the_server(pcscd, desk_app):
    agent = subprocess.Popen(
        [sys.executable, "-m", "cardreader.agent", "--server", desk_app["server"].url,
         "--reader", VIRTUAL_READER],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**__import__("os").environ, "CLEARANCE_DESK_TOKEN": desk_app["token"]})
    try:
        assert "等待刷卡" in agent.stdout.readline()
        with VirtualCard(demo_uid(desk_app["student_no"])).inserted():
            line = agent.stdout.readline()
        assert desk_app["name"] in line and desk_app["student_no"] in line
    finally:
        agent.terminate()
        agent.wait(10)
    desk_app["server"].stop()
    con = duckdb.connect(str(desk_app["db"]), read_only=True)
    scans = con.execute("SELECT uid, student_no, reader FROM desk_scans").fetchall()
    con.close()
    assert scans == [(demo_uid(desk_app["student_no"]), desk_app["student_no"], VIRTUAL_READER)]


def test_endpoint_refuses_bad_and_revoked_tokens(desk_app):
    url = desk_app["server"].url + "/api/desk/scans"
    uid = demo_uid(desk_app["student_no"])
    assert _post(url, "ldt_not-a-token", {"uid": uid})[0] == 401
    status, body = _post(url, desk_app["revoked"], {"uid": uid})
    assert status == 401 and "吊销" in body["error"]
    status, body = _post(url, desk_app["token"], {"uid": "xyz"})
    assert status == 400 and "UID" in body["error"]
    status, body = _post(url, desk_app["token"], {"uid": uid.lower()})
    assert status == 200 and body["student"]["student_no"] == desk_app["student_no"]
