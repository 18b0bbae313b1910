"""Staff accounts: hashed passwords, roles and stages, lock-out, disabling, the first admin."""

from datetime import timedelta

import pytest

from clearance.store.accounts import (MAX_FAILED_LOGINS, AccountError, authenticate, bootstrap_admin,
                                create_account, get_actor, reset_password, set_active,
                                update_account)
from clearance.clock import beijing_now


def test_password_is_hashed_and_checked(store):
    create_account(store, "lib1", "图书馆 谭老师", "office", "s3cret-pass", stages=["library"])
    stored = store.read_value("SELECT password_hash FROM staff WHERE username='lib1'")
    assert "s3cret-pass" not in stored and stored.startswith("$argon2")
    ok = authenticate(store, "lib1", "s3cret-pass")
    assert ok.actor.username == "lib1" and ok.actor.stages == frozenset({"library"})
    assert authenticate(store, "lib1", "wrong").actor is None


def test_unknown_user_and_wrong_password_look_the_same(store):
    create_account(store, "lib1", "x", "office", "s3cret-pass", stages=["library"])
    assert authenticate(store, "nobody", "x").message == authenticate(store, "lib1", "x").message


def test_repeated_failures_lock_the_account(store):
    create_account(store, "lib1", "x", "office", "s3cret-pass", stages=["library"])
    for _ in range(MAX_FAILED_LOGINS):
        authenticate(store, "lib1", "wrong")
    locked = authenticate(store, "lib1", "s3cret-pass")
    assert locked.actor is None and "锁定" in locked.message
    later = authenticate(store, "lib1", "s3cret-pass", now=beijing_now() + timedelta(minutes=16))
    assert later.actor is not None
    assert store.read_value("SELECT count(*) FROM staff_changes WHERE change='locked'") == 1


def test_disabled_account_cannot_sign_in_and_vanishes(store):
    create_account(store, "lib1", "x", "office", "s3cret-pass", stages=["library"])
    set_active(store, "lib1", False, by="admin")
    assert "停用" in authenticate(store, "lib1", "s3cret-pass").message
    assert get_actor(store, "lib1") is None
    reset_password(store, "lib1", "another-pass", by="admin")
    set_active(store, "lib1", True, by="admin")
    assert authenticate(store, "lib1", "another-pass").actor is not None


@pytest.mark.parametrize("role,college,stages,message", [
    ("college", None, ["advisor"], "必须指定学院"),
    ("college", "计算机学院", ["library"], "不能办理全校性环节"),
    ("office", None, ["party"], "不能办理学院环节"),
    ("office", None, [], "至少选择一个"),
    ("gradschool", None, ["library"], "不办理具体环节"),
    ("wizard", None, [], "未知的角色"),
])
def test_roles_hold_only_their_kind_of_stage(store, role, college, stages, message):
    with pytest.raises(AccountError, match=message):
        create_account(store, "u1", "x", role, "s3cret-pass", college=college, stages=stages)
    assert store.read_value("SELECT count(*) FROM staff") == 0


def test_short_password_and_duplicate_username_are_refused(store):
    with pytest.raises(AccountError, match="至少"):
        create_account(store, "u1", "x", "admin", "short")
    create_account(store, "u1", "x", "admin", "long-enough")
    with pytest.raises(AccountError, match="已存在"):
        create_account(store, "u1", "y", "admin", "long-enough")


def test_first_start_creates_an_admin_once(store, monkeypatch):
    monkeypatch.delenv("CLEARANCE_ADMIN_PASSWORD", raising=False)
    password = bootstrap_admin(store)
    assert password and authenticate(store, "admin", password).actor.role == "admin"
    assert bootstrap_admin(store) is None


def test_admin_password_from_environment(store, monkeypatch):
    monkeypatch.setenv("CLEARANCE_ADMIN_PASSWORD", "from-the-env")
    assert bootstrap_admin(store) is None
    assert authenticate(store, "admin", "from-the-env").actor is not None


def test_demo_store_has_an_account_for_every_role(demo_store):
    roles = dict(demo_store.read_rows("SELECT role, count(*) FROM staff GROUP BY 1"))
    assert roles["admin"] == 1 and roles["gradschool"] == 1
    assert roles["office"] == 8 and roles["college"] == 72
    actor = authenticate(demo_store, "cs_secretary", "demo1234").actor
    assert actor.college == "计算机学院" and actor.stages == frozenset({"advisor", "secretary"})


def test_sessions_end_on_sign_out_idle_age_and_disable(store):
    from clearance.adapters.sessions import (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS, end_session,
                                    resume_session, start_session)

    create_account(store, "lib1", "x", "office", "s3cret-pass", stages=["library"])
    now = beijing_now()
    token = start_session(store, "lib1", now=now)
    assert token not in str(store.read_rows("SELECT * FROM staff_sessions"))  # only the hash
    assert resume_session(store, token, now=now + timedelta(minutes=5)).username == "lib1"
    assert resume_session(store, "forged-token") is None
    # Used every 20 minutes it lives on, but not past the working day.
    t = now
    while t < now + timedelta(hours=SESSION_MAX_HOURS - 1):
        t += timedelta(minutes=20)
        assert resume_session(store, token, now=t) is not None
    assert resume_session(store, token, now=now + timedelta(hours=SESSION_MAX_HOURS, minutes=1)) is None
    idle = start_session(store, "lib1", now=now)
    assert resume_session(store, idle, now=now + timedelta(minutes=SESSION_IDLE_MINUTES + 1)) is None
    ended = start_session(store, "lib1")
    end_session(store, ended)
    assert resume_session(store, ended) is None
    live = start_session(store, "lib1")
    set_active(store, "lib1", False, by="admin")
    assert resume_session(store, live) is None


def test_session_bookkeeping_leaves_read_caches_valid(store):
    from clearance.adapters.sessions import resume_session, start_session

    create_account(store, "lib1", "x", "office", "s3cret-pass", stages=["library"])
    version = store.version
    token = start_session(store, "lib1")
    resume_session(store, token, now=beijing_now() + timedelta(minutes=5))
    assert store.version == version


def test_an_account_names_a_known_college(store):
    """The account page's write path checks the same list as the roster (config/colleges.toml)."""
    with pytest.raises(AccountError, match="“计算机学员”不是已知的学院，是否为“计算机学院”？"):
        create_account(store, "cs1", "x", "college", "s3cret-pass", college="计算机学员",
                       stages=["advisor"])
    create_account(store, "cs1", "x", "college", "s3cret-pass", college="体育学院", stages=["advisor"])
    with pytest.raises(AccountError, match="不是已知的学院"):
        update_account(store, "cs1", display_name="x", role="college", college="火星学院",
                       stages=["advisor"], by="admin")
