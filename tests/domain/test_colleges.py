"""The known colleges: aliases, the nearest known name for a misspelling, a checked file."""

import pytest

from clearance.rules.catalogue import CatalogueError
from clearance.rules.colleges import parse_colleges
from clearance.store.config import load_colleges
from loaders.demo import COLLEGES


@pytest.fixture(scope="module")
def colleges():
    return load_colleges()


@pytest.mark.parametrize("typed, stored", [
    ("计算机学院", "计算机学院"), ("计算机科学学院", "计算机学院"), (" 经管学院 ", "经济与工商管理学院"),
    ("大数据与软件学院", "软件学院"), ("计算机学员", None), ("", None),
])
def test_names_and_aliases(colleges, typed, stored):
    assert colleges.canonical(typed) == stored


@pytest.mark.parametrize("typed, guess", [
    ("计算机学员", "计算机学院"), ("土木学院院", "土木工程学院"), ("电器工程学院", "电气工程学院"),
    ("火星学院", None),
])
def test_the_nearest_known_name(colleges, typed, guess):
    assert colleges.nearest(typed) == guess


def test_the_demo_uses_the_list(colleges):
    assert all(colleges.canonical(name) == name for name, _code, _n, _campus in COLLEGES)
    assert all(colleges.by_code(code).name == name for name, code, _n, _campus in COLLEGES)


@pytest.mark.parametrize("text, message", [
    ('[[colleges]]\nname = "甲学院"\n', "须有 name 和 code"),
    ('[[colleges]]\nname = "甲学院"\ncode = "A B"\n', "只能是小写字母和数字"),
    ('[[colleges]]\nname = "甲学院"\ncode = "a1"\n[[colleges]]\nname = "乙学院"\ncode = "a1"\n', "重复"),
    ('[[colleges]]\nname = "甲学院"\ncode = "a1"\n[[colleges]]\nname = "乙学院"\ncode = "b1"\n'
     'aliases = ["甲学院"]\n', "已是“甲学院”的名称或别名"),
    ("", "中没有学院"),
])
def test_a_bad_list_is_refused_in_chinese(text, message):
    with pytest.raises(CatalogueError, match=message):
        parse_colleges(text)


def test_the_known_colleges_are_in_the_pickers_before_any_roster(store, colleges):
    """Accounts can be made for a college before its students are imported."""
    assert store.read_value("SELECT count(*) FROM students") == 0
    assert sorted(r[0] for r in store.read_rows("SELECT college FROM colleges")) == sorted(colleges.names)
