"""The column-wise helpers that look at each distinct value once give, value by value, what the
one-value functions give (the speed-ups of issue 11 item 5 must not change a single cell)."""

import pandas as pd

from clearance.store.students import name_initials
from loaders.roster import LEVEL_ALIASES, _aliased, initials_column
from loaders.sheets import DISTINCT_FROM, _clean_names, clean_column, clean_name, clean_names, clean_text, per_distinct

NAMES = ["张三", "李四", "曾国藩", "单雄信", "长孙无忌", "欧阳修", "重庆", "朝阳", "解放", "乐乐",
         "Smith John", "阿卜杜 热合曼", "王 小明", "", "x", "张三丰", "Ｗａｎｇ", "行长", "银行",
         "覃", "㐀㐁"]


def many(values: list[str], n: int = 200) -> pd.Series:
    """Each value n times, shuffled by a fixed step: few distinct values in many cells."""
    cells = [values[(i * 7) % len(values)] for i in range(len(values) * n)]
    return pd.Series(cells, index=range(2, len(cells) + 2), dtype="str")


def test_initials_of_a_column_equal_initials_name_by_name():
    assert len(many(NAMES)) >= DISTINCT_FROM
    for names in (many(NAMES), pd.Series(NAMES, dtype="str")):  # distinct path and direct path
        got = initials_column(names)
        assert list(got.index) == list(names.index)
        assert got.tolist() == [name_initials(n) for n in names]


def test_per_distinct_cleaning_equals_cleaning_each_cell():
    raw = many(["  计算机学院 ", "计算机\u3000学院", "ＡＢ  c", "\t王 小明", "", "A区", "硕"])
    assert len(raw) >= DISTINCT_FROM
    cleaned = clean_column(raw)
    assert clean_column(raw.head(20)).tolist() == [clean_text(v) for v in raw.head(20)]
    assert cleaned.tolist() == [clean_text(v) for v in raw]
    assert clean_names(cleaned).tolist() == [clean_name(v) for v in raw]
    assert clean_names(cleaned).tolist() == _clean_names(cleaned).tolist()
    assert _aliased(cleaned, LEVEL_ALIASES).tolist() == [LEVEL_ALIASES.get(v, v) for v in cleaned]
    assert per_distinct(cleaned, lambda s: s.str.len()).tolist() == [len(v) for v in cleaned]
