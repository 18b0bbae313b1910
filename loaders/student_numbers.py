"""A list of 学号 to act on (e.g. the students an office wants to pass at once): from a CSV/XLSX
file with a 学号 column, or pasted text. Returns the numbers in order, without repeats; which
of them are in the roster is for the preview to say."""

from __future__ import annotations

import re

from loaders.sheets import (ImportRejected, clean_code, clean_codes, messages, read_sheet,
                            student_no_problems, value_problems)

STUDENT_NO = re.compile(r"[0-9A-Za-z]{4,20}")


def _unique(values) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def numbers_from_text(text: str) -> tuple[list[str], list[str]]:
    """Numbers pasted one per line (or separated by commas, spaces, 、), and the pieces that
    are not a 学号 at all."""
    pieces = [clean_code(p) for p in re.split(r"[\s,，、;；]+", text or "")]
    good = [p for p in pieces if STUDENT_NO.fullmatch(p)]
    bad = [p for p in pieces if p and not STUDENT_NO.fullmatch(p)]
    return _unique(good), _unique(bad)


def numbers_from_file(data: bytes, file_name: str, lengths: set[int] = frozenset()) -> list[str]:
    """The 学号 column of a CSV/XLSX file. A cell that is not a 学号 refuses the file, naming
    its row."""
    sheet = read_sheet(data, file_name, ["学号"])
    problems, bad = value_problems(sheet, "学号")
    numbers = clean_codes(sheet.rows["学号"])
    problems += student_no_problems(sheet, "学号", numbers, bad | (numbers == ""), STUDENT_NO, lengths)
    if problems:
        raise ImportRejected(messages(sheet, problems))
    found = _unique(numbers)
    if not found:
        raise ImportRejected([f"{file_name}：“学号”列是空的"])
    return found
