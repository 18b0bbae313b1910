"""账号管理 through AppTest: admin only; add, disable, reset; history shown."""

from clearance.store.accounts import authenticate
from tests.screens.apptest_helpers import button, page_test, texts
from ui.text import plain


def test_only_the_admin_gets_the_page(desk_store):
    for username in ("gs", "lib_staff", "cs_secretary"):
        at = page_test("admin_accounts.py", username).run()
        assert "无权访问" in texts(at)
        assert not at.dataframe
    at = page_test("admin_accounts.py", None).run()
    assert [b.label for b in at.button] == ["登录"] and not at.dataframe


def test_admin_adds_disables_and_resets(desk_store):
    at = page_test("admin_accounts.py", "admin").run()
    assert not at.exception
    form = [t for t in at.text_input if t.label.startswith("用户名")][0]
    form.input("dorm_b")
    [t for t in at.text_input if t.label.startswith("姓名（显示用")][0].input("公寓 B区 刘老师")
    [s for s in at.selectbox if s.label == "角色"][0].select("office")
    [m for m in at.multiselect if m.label.startswith("办理环节（")][0].select("dorm")
    [t for t in at.text_input if t.label.startswith("初始密码")][0].input("dorm-b-pass")
    button(at, "新增账号").click().run()
    assert plain("已新增账号 dorm_b") in texts(at), texts(at)  # data in a message is escaped
    assert authenticate(desk_store, "dorm_b", "dorm-b-pass").actor.stages == frozenset({"dorm"})

    at.selectbox(key="edit_who").select("dorm_b").run()
    button(at, "停用账号").click().run()
    assert authenticate(desk_store, "dorm_b", "dorm-b-pass").actor is None
    [t for t in at.text_input if t.label.startswith("新密码")][0].input("another-pass")
    button(at, "重置密码").click().run()
    button(at, "启用账号").click().run()
    assert authenticate(desk_store, "dorm_b", "another-pass").actor is not None
    assert desk_store.read_value(
        "SELECT must_change_password FROM staff WHERE username = 'dorm_b'")  # the admin chose it
    history = at.dataframe[-1].value
    assert {"新增", "停用", "重置密码", "启用"} <= set(history[history["账号"] == "dorm_b"]["变更"])


def test_a_wrong_combination_is_refused_plainly(desk_store):
    at = page_test("admin_accounts.py", "admin").run()
    [t for t in at.text_input if t.label.startswith("用户名")][0].input("bad1")
    [s for s in at.selectbox if s.label == "角色"][0].select("office")
    [m for m in at.multiselect if m.label.startswith("办理环节（")][0].select("party")
    [t for t in at.text_input if t.label.startswith("初始密码")][0].input("long-enough")
    button(at, "新增账号").click().run()
    assert "部门工作人员不能办理学院环节" in texts(at)
    assert desk_store.read_value("SELECT count(*) FROM staff WHERE username='bad1'") == 0


def test_admin_sets_and_changes_a_staff_members_campus(desk_store):
    """校区 on the account page: chosen from the configured campuses, listed, and changed."""
    at = page_test("admin_accounts.py", "admin").run()
    [t for t in at.text_input if t.label.startswith("用户名")][0].input("card_hx")
    [t for t in at.text_input if t.label.startswith("姓名（显示用")][0].input("一卡通 虎溪 钱老师")
    [s for s in at.selectbox if s.label == "角色"][0].select("office")
    campus = [s for s in at.selectbox if s.label.startswith("校区")]
    assert campus[0].options == ["—", "A区", "B区", "C区", "虎溪"]
    campus[0].select("虎溪")
    [m for m in at.multiselect if m.label.startswith("办理环节（")][0].select("card_center")
    [t for t in at.text_input if t.label.startswith("初始密码")][0].input("card-hx-pass")
    button(at, "新增账号").click().run()
    assert authenticate(desk_store, "card_hx", "card-hx-pass").actor.campus == "虎溪"
    listing = at.dataframe[0].value
    assert listing.set_index("用户名").loc["card_hx", "校区"] == "虎溪"

    at.selectbox(key="edit_who").select("card_hx").run()
    edit = [s for s in at.selectbox if s.label.startswith("校区")][-1]
    assert edit.value == "虎溪"  # the form starts from the stored campus
    edit.select("B区")
    button(at, "保存修改").click().run()
    assert authenticate(desk_store, "card_hx", "card-hx-pass").actor.campus == "B区"
    # The demo's office staff work at A区.
    assert authenticate(desk_store, "card_staff", "demo1234").actor.campus == "A区"
