"""《导师准许离校确认书》 as a PDF, filled in for one student, laid out like the handbook's form.

The student downloads it, prints it and has the advisor sign it; the college secretary then
records the advisor stage. fpdf2 embeds a subset of a CJK font (a face of a .ttc collection
works), so the Chinese renders on any printer and viewer; the preferred font has TrueType
outlines so the text layer uses the standard Identity-H encoding.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from fontTools.ttLib import TTCollection, TTFont
from fpdf import FPDF

from clearance.clock import beijing_now

FORM_TITLE = "导师准许学生离校确认书"
FONT_PACKAGE = "fonts-arphic-uming"
# TrueType outlines first: see config/student_page.toml for why Noto CJK (CFF) comes last.
DEFAULT_FONTS = ("/usr/share/fonts/truetype/arphic/uming.ttc",
                 "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
                 "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_FACES = ("AR PL UMing CN", "Noto Serif CJK SC", "Noto Sans CJK SC")


# AR PL UMing carries bitmap strikes (a BDF table) that fontTools' subsetter drops with a
# warning on every form; the outlines are what the PDF needs, so keep the log quiet.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class AdvisorFormUnavailable(RuntimeError):
    """No CJK font on this server; the message says what to install, in Chinese."""


@dataclass(frozen=True)
class FontChoice:
    path: str
    face_index: int


@dataclass(frozen=True)
class FormSettings:
    university: str = "重庆大学"
    fonts: tuple[str, ...] = DEFAULT_FONTS
    faces: tuple[str, ...] = DEFAULT_FACES


def form_settings(config: Mapping) -> FormSettings:
    raw = config.get("advisor_form", {})
    fonts = tuple(raw.get("fonts", DEFAULT_FONTS))
    override = os.environ.get("CLEARANCE_CJK_FONT")
    return FormSettings(university=raw.get("university", "重庆大学"),
                        fonts=(override,) + fonts if override else fonts,
                        faces=tuple(raw.get("faces", DEFAULT_FACES)))


@lru_cache(maxsize=8)
def find_font(fonts: tuple[str, ...], faces: tuple[str, ...]) -> FontChoice | None:
    """The first font file that exists; in a collection, the first face named in `faces`
    (Noto's .ttc holds JP, KR, SC, TC, HK: the SC face draws the mainland glyph forms)."""
    for path in fonts:
        if not path or not Path(path).is_file():
            continue
        if not path.lower().endswith((".ttc", ".otc")):
            return FontChoice(path, 0)
        collection = TTCollection(path, lazy=True)
        try:
            families = [f["name"].getDebugName(1) for f in collection.fonts]
        finally:
            collection.close()
        for face in faces:
            if face in families:
                return FontChoice(path, families.index(face))
    return None


def font_problem(settings: FormSettings) -> str | None:
    """None when the form can be made; otherwise what the server lacks, in Chinese."""
    if find_font(settings.fonts, settings.faces) is None:
        return (f"服务器缺少中文字体，暂时无法生成《{FORM_TITLE}》。请联系系统管理员安装 Debian 软件包"
                f" {FONT_PACKAGE}（或用环境变量 CLEARANCE_CJK_FONT 指定 TTF/OTF 字体文件）。")
    return None


def advisor_form_pdf(name: str, student_no: str, level: str, clearance_type: str,
                     college: str = "", settings: FormSettings = FormSettings(),
                     made_at: datetime | None = None) -> bytes:
    """The form for one student: A4, the handbook's wording, the student's details filled in."""
    font = find_font(settings.fonts, settings.faces)
    if font is None:
        raise AdvisorFormUnavailable(font_problem(settings))
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(f"{settings.university}研究生{FORM_TITLE}（{name}）")
    pdf.set_creator("离校通")
    pdf.set_margins(25, 30, 25)
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", font.path, collection_font_number=font.face_index)
    pdf.add_page()

    pdf.set_font("cjk", size=20)
    pdf.multi_cell(0, 11, f"{settings.university}研究生{FORM_TITLE}", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)

    pdf.set_font("cjk", size=14)
    pdf.cell(0, 9, f"{college or '学院'}研究生教务秘书：", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    line = 10
    indent = 2 * pdf.get_string_width("中")  # two characters, as Chinese paragraphs start
    pdf.set_x(pdf.l_margin + indent)
    _write_filled(pdf, line, [
        (f"{level}研究生", False), (f" {name} ", True), ("，学号：", False),
        (f" {student_no} ", True), ("，已经", False), (clearance_type, True), ("。", False),
    ])
    pdf.ln(line + 2)
    pdf.set_x(pdf.l_margin + indent)
    pdf.write(line, "该生已完清包括仪器归还、公共设备归还、公款归还、课题移交、涉密资料移交等"
                    "与导师相关的所有手续，可以离校，特此确认。")
    pdf.ln(line)
    pdf.ln(24)

    pdf.set_x(pdf.w - pdf.r_margin - 75)
    pdf.cell(25, line, "导师签字：")
    pdf.cell(50, line, "", border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_x(pdf.w - pdf.r_margin - 60)
    pdf.cell(60, line, "年　　　月　　　日", align="R", new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(-40)
    pdf.set_font("cjk", size=9)
    pdf.set_text_color(90, 90, 90)
    when = (made_at or beijing_now()).strftime("%Y-%m-%d %H:%M")
    pdf.multi_cell(0, 5, "说明：请导师或导师授权人签字后，交所在学院研究生教务秘书登记“导师”环节。",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, f"本表由离校通生成于 {when}（学号 {student_no}）。",
                   new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _write_filled(pdf: FPDF, height: float, parts: list[tuple[str, bool]]) -> None:
    """One line of the form with the filled-in values underlined, as on the paper form."""
    for text, filled in parts:
        pdf.set_font(style="U" if filled else "")
        pdf.write(height, text)
    pdf.set_font(style="")
