"""Normalising typed and pasted text: the one helper the loaders, the desk and the student page share."""

from clearance.rules.student_view import normalise_student_no
from clearance.rules.text import compact, half_width
from loaders.sheets import clean_code


def test_full_width_digits_and_spaces_become_a_plain_code():
    assert compact("２０１６０１６５２５") == "2016016525"
    assert compact(" ２０１６　０１６ ５２５\n") == "2016016525"
    assert compact("张 三") == "张三" and compact(None) == ""
    assert half_width("ＡＢｃ　１") == "ABc 1"


def test_the_desk_the_student_page_and_the_loaders_agree():
    for typed in ("２０１６０１６５２５", "2016016525 ", "２０１６ ０１６５２５"):
        assert compact(typed) == normalise_student_no(typed) == clean_code(typed) == "2016016525"
