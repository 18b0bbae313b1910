"""Staff accounts: hashed passwords and their policy, roles and stages, disabling, the first
admin, changing one's own password. Guessing limits: tests/security/test_sign_in_attacks.py."""

from datetime import timedelta

import pytest

from clearance.store.accounts import (AccountError, authenticate, bootstrap_admin, change_own_password,
                                create_account, get_actor, must_change_password,
                                password_problem, reset_password, set_active,
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


def test_failures_never_lock_the_account(store):
    create_account(store, "lib1", "x", "office", "s3cret-pass", stages=["library"])
    for _ in range(20):
        assert authenticate(store, "lib1", "wrong").actor is None
    assert authenticate(store, "lib1", "s3cret-pass").actor is not None


def test_disabled_account_cannot_sign_in_and_vanishes(store):
    create_account(store, "lib1", "x", "office", "s3cret-pass", stages=["library"])
    set_active(store, "lib1", False, by="admin")
    disabled = authenticate(store, "lib1", "s3cret-pass")
    assert disabled.actor is None
    assert disabled.message == authenticate(store, "nobody", "x").message  # nothing revealed
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
    with pytest.raises(AccountError, match="至少 10 位"):
        create_account(store, "u1", "x", "admin", "short-1")
    create_account(store, "u1", "x", "admin", "long-enough")
    with pytest.raises(AccountError, match="已存在"):
        create_account(store, "u1", "y", "admin", "long-enough")


def test_first_start_creates_an_admin_once(store, monkeypatch):
    monkeypatch.delenv("CLEARANCE_ADMIN_PASSWORD", raising=False)
    password = bootstrap_admin(store)
    assert password and authenticate(store, "admin", password).actor.role == "admin"
    assert must_change_password(store, "admin")  # it was printed in a log
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


@pytest.mark.parametrize("password, problem", [
    ("        ", "至少 10 位"), ("          ", "空格"), ("aaaaaaaaaaaa", "空格或少数几个"),
    ("12345678", "至少 10 位"), ("1234567890", "至少两类"), ("onlyletters", "至少两类"),
    ("Password123", "常见"), ("demo1234!!", "常见"), ("xx-lib1-yy-1", "用户名"),
    ("qwerty123", "至少 10 位"), ("p@ssw0rd", "至少 10 位"), ("P@ssword123", None),
])
def test_password_policy(password, problem):
    found = password_problem(password, "lib1")
    assert (found is None) if problem is None else (problem in found), found


def test_deny_list_catches_common_passwords_of_any_length(monkeypatch):
    import clearance.store.accounts as accounts

    monkeypatch.setattr(accounts, "MIN_PASSWORD_LENGTH", 8)
    for common in ("12345678", "password", "demo1234", "Demo1234", "demo1234!"):
        assert password_problem(common) is not None, common


def test_imported_and_reset_accounts_must_choose_their_own_password(store):
    create_account(store, "lib1", "x", "office", "s3cret-pass", stages=["library"], by="admin")
    assert must_change_password(store, "lib1")
    with pytest.raises(AccountError, match="当前密码不正确"):
        change_own_password(store, "lib1", "wrong-pass-1", "my-own-pass-2")
    with pytest.raises(AccountError, match="常见"):
        change_own_password(store, "lib1", "s3cret-pass", "Password123")
    with pytest.raises(AccountError, match="相同"):
        change_own_password(store, "lib1", "s3cret-pass", "s3cret-pass")
    change_own_password(store, "lib1", "s3cret-pass", "my-own-pass-2")
    assert not must_change_password(store, "lib1")
    assert authenticate(store, "lib1", "my-own-pass-2").actor is not None
    reset_password(store, "lib1", "given-by-admin-3", by="admin")
    assert must_change_password(store, "lib1")
    changes = [r[0] for r in store.read_rows("SELECT change FROM staff_changes ORDER BY change_id")]
    assert changes == ["created", "password_changed", "password_reset"]


def test_an_account_names_a_known_college(store):
    """The account page's write path checks the same list as the roster (config/colleges.toml)."""
    with pytest.raises(AccountError, match="“计算机学员”不是已知的学院，是否为“计算机学院”？"):
        create_account(store, "cs1", "x", "college", "s3cret-pass", college="计算机学员",
                       stages=["advisor"])
    create_account(store, "cs1", "x", "college", "s3cret-pass", college="体育学院", stages=["advisor"])
    with pytest.raises(AccountError, match="不是已知的学院"):
        update_account(store, "cs1", display_name="x", role="college", college="火星学院", campus=None,
                       stages=["advisor"], by="admin")


def test_an_account_has_a_known_campus_and_keeps_it(store):
    """校区 is one of the catalogue's campuses (config/stages.toml), or none; the account page's
    change writes it (never silently cleared) and the change log says it."""
    with pytest.raises(AccountError, match="未知的校区“D区”，应为 A区、B区、C区、虎溪 之一"):
        create_account(store, "card1", "x", "office", "s3cret-pass", stages=["card_center"],
                       campus="D区")
    assert store.read_value("SELECT count(*) FROM staff") == 0
    create_account(store, "card1", "x", "office", "s3cret-pass", stages=["card_center"], campus="虎溪")
    assert get_actor(store, "card1").campus == "虎溪"
    assert authenticate(store, "card1", "s3cret-pass").actor.campus == "虎溪"
    with pytest.raises(AccountError, match="未知的校区"):
        update_account(store, "card1", display_name="x", role="office", college=None,
                       stages=["card_center"], by="admin", campus="<b>A区</b>")
    assert get_actor(store, "card1").campus == "虎溪"
    update_account(store, "card1", display_name="x", role="office", college=None,
                   stages=["card_center"], by="admin", campus="B区")
    assert get_actor(store, "card1").campus == "B区"
    details = [r[0] for r in store.read_rows("SELECT detail FROM staff_changes ORDER BY change_id")]
    assert details == ["部门工作人员 card_center 虎溪", "部门工作人员 card_center B区"]
    with pytest.raises(TypeError):  # a caller that forgets the campus does not clear it
        update_account(store, "card1", display_name="x", role="office", college=None,
                       stages=["card_center"], by="admin")
