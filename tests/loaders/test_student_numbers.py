"""Lists of 学号 to act on, from a file or pasted text."""

import io

import pandas as pd
import pytest

from loaders.sheets import ImportRejected
from loaders.student_numbers import numbers_from_file, numbers_from_text


def test_pasted_numbers_are_split_cleaned_and_deduplicated():
    good, bad = numbers_from_text("2015010001\n２０１５０１０００２, 2015010001、x!\n\n")
    assert good == ["2015010001", "2015010002"]
    assert bad == ["x!"]


def test_a_file_with_a_number_column_stored_as_numbers():
    buf = io.BytesIO()
    pd.DataFrame({"学号": [2015010001, 2015010002], "姓名": ["甲", "乙"]}).to_excel(buf, index=False)
    assert numbers_from_file(buf.getvalue(), "a.xlsx") == ["2015010001", "2015010002"]


def test_a_bad_cell_names_its_row():
    with pytest.raises(ImportRejected, match="a.csv 第3行“学号”列"):
        numbers_from_file("学号\n2015010001\n??\n".encode(), "a.csv")
    with pytest.raises(ImportRejected, match="缺少列“学号”"):
        numbers_from_file("姓名\n甲\n".encode(), "b.csv")
