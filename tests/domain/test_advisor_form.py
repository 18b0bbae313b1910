"""《导师准许离校确认书》: a real PDF with an embedded CJK font; its extracted text holds the
student's details and the handbook's wording."""

import io
import re

import pytest
from pypdf import PdfReader

from clearance.adapters.advisor_form import (AdvisorFormUnavailable, FormSettings, advisor_form_pdf,
                                    find_font, font_problem, form_settings)
from clearance.rules.student_view import load_student_page_config

WORDING = ("该生已完清包括仪器归还、公共设备归还、公款归还、课题移交、涉密资料移交等"
           "与导师相关的所有手续，可以离校，特此确认。")


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    # Line breaks and the spaces around filled-in values do not matter; the words do.
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))


def embedded_fonts(data: bytes) -> list[str]:
    page = PdfReader(io.BytesIO(data)).pages[0]
    return [str(f["/BaseFont"]) for f in page["/Resources"]["/Font"].values()]


def test_form_has_the_students_details_and_the_handbook_wording():
    settings = form_settings(load_student_page_config())
    data = advisor_form_pdf("欧阳娜娜", "2015046560", "博士", "结业", "计算机学院", settings)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "重庆大学研究生导师准许学生离校确认书" in text
    assert "计算机学院研究生教务秘书：" in text
    assert "博士研究生欧阳娜娜，学号：2015046560，已经结业。" in text
    assert WORDING in text
    assert "导师签字：" in text and "年月日" in text
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    fonts = embedded_fonts(data)
    assert len(fonts) == 1 and "+" in fonts[0] and "UMing" in fonts[0]  # a subset, embedded


def test_the_face_is_chosen_by_name_inside_a_collection():
    from fontTools.ttLib import TTCollection
    settings = FormSettings(fonts=("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",),
                            faces=("Noto Sans CJK SC",))
    choice = find_font(settings.fonts, settings.faces)
    collection = TTCollection(choice.path, lazy=True)
    assert collection.fonts[choice.face_index]["name"].getDebugName(1) == "Noto Sans CJK SC"
    assert choice.face_index != 0  # the collection starts with the Japanese face
    data = advisor_form_pdf("张三", "2015046560", "硕士", "毕业", settings=settings)
    assert embedded_fonts(data)[0].endswith("NotoSansCJKSC")  # the last-resort font still works


def test_without_a_cjk_font_the_message_names_the_package(tmp_path):
    missing = FormSettings(fonts=(str(tmp_path / "none.ttf"),))
    assert "fonts-arphic-uming" in font_problem(missing)
    assert font_problem(FormSettings()) is None
    with pytest.raises(AdvisorFormUnavailable, match="fonts-arphic-uming"):
        advisor_form_pdf("张三", "1", "硕士", "毕业", settings=missing)
