"""A big sheet is parsed in pieces on every core (loaders.parse_child._read_in_pieces): what the
app gets must be exactly what a whole read gives, for every shape a cut can meet (error cells,
formulas, merged ranges and hidden rows across the cut, blank rows at it, rows of different
widths, data not starting in column A, a notes sheet first), and for the fuzz corpus."""

import dataclasses

import pytest

from loaders import parse_child
from loaders.limits import load_limits
from loaders.parse_child import header_key
from loaders.roster import COLUMNS, import_roster
from loaders.sheets import ImportRejected
from tests.loaders import rawxlsx
from tests.loaders.fuzz_corpus import corpus

GROUPS = [[header_key(h)] for h in COLUMNS]


def spec(reads: int, name: str = "r.xlsx") -> dict:
    return load_limits().child_spec() | {"file_name": name, "groups": GROUPS,
                                         "parallel_reads": reads, "parallel_min_bytes": 0}


def outcome(data: bytes, reads: int, name: str = "r.xlsx"):
    try:
        return "ok", parse_child.parse(data, spec(reads, name))
    except parse_child.Refused as exc:
        return "refused", exc.code, exc.message
    except Exception as exc:  # noqa: BLE001  (the child's main() maps these; compare the type)
        return "error", type(exc).__name__


def row(i: int) -> list:
    return [f"2018{i:06d}", f"学生{i}", "计算机学院", "硕士", "毕业", "虎溪", "李老师",
            f"138{i:08d}", "群众"]


def rows(n: int) -> list[list]:
    return [list(COLUMNS)] + [row(i) for i in range(n)]


def test_the_cut_is_really_made_and_pieces_cover_every_row():
    xml = rawxlsx.sheet_xml(rows(40), dimension="A1:I41").encode()
    pieces = parse_child._split_sheet_xml(xml, 3)
    assert pieces is not None and len(pieces) == 3
    assert [p[0] for p in pieces][0] == 1 and pieces[1][0] > 1 and pieces[2][0] > pieces[1][0]
    assert all(b"<dimension" not in p for _f, p in pieces)  # checked on the whole already
    assert sum(p.count(b"<row ") for _f, p in pieces) == 41


def shapes():
    yield "plain", rawxlsx.one_sheet(rows(60))
    body = rows(60)
    body[31][8] = ("e", "#N/A")
    body[32][1] = ("f", "VLOOKUP(A2,Sheet2!A:B,2,0)", None)
    body[33][7] = ("f", "0.1+0.2-0.3", 5.551115123125783e-17)
    yield "errors and formulas at the cut", rawxlsx.one_sheet(body)
    yield "merged across the cut", rawxlsx.one_sheet(rows(60), merges=["C20:C45", "A2:A3"])
    yield "hidden rows on both sides", rawxlsx.one_sheet(rows(60), hidden={5, 31, 32, 58})
    gap = [*rows(30), *([[None] * 9] * 10), *[row(i) for i in range(30, 60)]]
    yield "blank rows at the cut", rawxlsx.one_sheet(gap)
    wide = rows(60)
    wide[50] = wide[50] + ["", "", "extra"]
    yield "a wider row in the second half", rawxlsx.one_sheet(wide)
    shifted = rows(60)
    for r in shifted[31:]:
        r[0] = None  # the second half has nothing in column A
    yield "second half starts in column B", rawxlsx.one_sheet(shifted)
    yield "title rows and a notes sheet", rawxlsx.workbook({
        "说明": rawxlsx.sheet_xml([["填表说明"]]),
        "数据": rawxlsx.sheet_xml([["离校名单"], [], *rows(60)])})
    yield "one row only", rawxlsx.one_sheet(rows(1))
    yield "pretty-printed XML", rawxlsx.workbook({"Sheet1": rawxlsx.sheet_xml(rows(60)).replace(
        "<row ", "\n  <row ").replace("</sheetData>", "\n</sheetData>")})
    yield "far cell refused before any read", rawxlsx.one_sheet(
        rows(60), extra_cells='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


@pytest.fixture
def pieces_read(monkeypatch) -> list:
    """How each read in pieces ended: True (the grid came from the pieces), False (fell back)."""
    ended, real = [], parse_child._read_in_pieces

    def spy(*args, **kw):
        got = real(*args, **kw)
        ended.append(got is not None)
        return got

    monkeypatch.setattr(parse_child, "_read_in_pieces", spy)
    return ended


@pytest.mark.parametrize("how,data", list(shapes()), ids=[h for h, _d in shapes()])
def test_a_sheet_read_in_pieces_is_the_sheet_read_whole(how, data, pieces_read):
    whole = outcome(data, 1)
    assert pieces_read == []
    for reads in (2, 3, 7):
        assert outcome(data, reads) == whole, (how, reads)
    if how.startswith("far cell"):
        assert whole[0] == "refused" and pieces_read == []
    elif how != "one row only":
        assert pieces_read.count(True) == 3, how  # really read in pieces (the notes sheet: whole)


def test_every_fuzz_workbook_reads_the_same_in_pieces():
    """The fuzz corpus's .xlsx (byte flips, truncation, odd dimensions, error cells, huge cells),
    every one cut into pieces: the same table, or the same refusal."""
    seen = 0
    for case in corpus(seed=23, count=150):
        if not case.data.startswith(parse_child.ZIP_MAGIC):
            continue
        seen += 1
        assert outcome(case.data, 2, case.name) == outcome(case.data, 1, case.name), case.how
    assert seen > 40


def test_an_import_through_the_child_reads_pieces_and_refuses_the_same(store, tmp_path, monkeypatch):
    """With the threshold at 0 every workbook is read in pieces by the real parser process: a
    good roster imports every row, an error cell in the second half is refused naming its row."""
    limits = tmp_path / "imports.toml"
    text = open(load_limits.__globals__["DEFAULT_PATH"], encoding="utf-8").read()
    limits.write_text(text.replace("parallel_read_min_mb = 8", "parallel_read_min_mb = 0")
                      .replace("parallel_reads = 1", "parallel_reads = 2"), encoding="utf-8")
    monkeypatch.setenv("CLEARANCE_IMPORTS", str(limits))
    assert load_limits().parallel_min_bytes == 0 and load_limits().parallel_reads == 2
    bad = rows(80)
    bad[70][3] = ("e", "#VALUE!")
    with pytest.raises(ImportRejected) as exc:
        import_roster(store, rawxlsx.one_sheet(bad), "大名单.xlsx", "2018-06", "admin")
    assert exc.value.errors == ["大名单.xlsx 第71行“培养层次”列：“#VALUE!”是 Excel 的错误值"
                                "（公式没有算出结果），不是一个值；请改正后重新导出"]
    assert store.read_value("SELECT count(*) FROM students") == 0
    done = import_roster(store, rawxlsx.one_sheet(rows(80)), "大名单.xlsx", "2018-06", "admin")
    assert done.inserted == 80
    assert store.read_value("SELECT max(student_no) FROM students") == "2018000079"


def test_one_read_means_whole():
    assert load_limits().parallel_reads == 1  # the shipped default (see config/imports.toml)
    limits = dataclasses.replace(load_limits(), parallel_reads=1)
    assert limits.child_spec()["parallel_reads"] == 1
    data = rawxlsx.one_sheet(rows(10))
    assert outcome(data, 1) == ("ok", parse_child.parse(data, limits.child_spec() | {
        "file_name": "r.xlsx", "groups": GROUPS}))
