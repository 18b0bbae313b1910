"""The domain package's shape: no import cycle, rules without I/O, the desk PC's package alone.

Read from the source with `ast` (every import, at the top or inside a function), so a late
import cannot hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("clearance", "cardreader")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    """Every module of the two packages → the modules it imports (absolute names)."""
    graph = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            names = set()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module)
                    names.update(f"{node.module}.{alias.name}" for alias in node.names)
            graph[_module_name(path)] = names
    return graph


GRAPH = _imports()


def _internal(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {m: {n for n in names if n in graph and n != m} for m, names in graph.items()}


def test_the_domain_has_no_import_cycle():
    edges = _internal(GRAPH)
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module):] + [module]
            raise AssertionError("import cycle: " + " → ".join(cycle))
        if module in done:
            return
        for nxt in sorted(edges[module]):
            visit(nxt, path + [module])
        done.add(module)

    for module in sorted(edges):
        visit(module, [])


def test_a_planted_cycle_is_found():
    """The cycle search itself can fail: a graph with a → b → a is refused."""
    global GRAPH
    saved = GRAPH
    GRAPH = {"a": {"b"}, "b": {"a"}}
    try:
        try:
            test_the_domain_has_no_import_cycle()
        except AssertionError as exc:
            assert "a → b → a" in str(exc)
        else:
            raise AssertionError("a planted cycle went unnoticed")
    finally:
        GRAPH = saved


def _top(name: str) -> str:
    return name.split(".")[0]


def test_rules_do_no_io_and_know_no_store_or_ui():
    forbidden_top = {"duckdb", "streamlit", "pandas", "starlette", "smartcard"}
    forbidden_inside = ("clearance.store", "clearance.adapters", "clearance.root", "cardreader", "ui",
                        "screens", "loaders", "queries", "webapi")
    rules = {m: names for m, names in GRAPH.items() if m.startswith("clearance.rules")}
    assert len(rules) >= 6, sorted(rules)
    for module, names in rules.items():
        for name in names:
            assert _top(name) not in forbidden_top, f"{module} imports {name}"
            assert not name.startswith(forbidden_inside), f"{module} imports {name}"


def test_the_card_reader_package_needs_nothing_of_the_domain():
    modules = {m: names for m, names in GRAPH.items() if m.startswith("cardreader")}
    assert {"cardreader.agent", "cardreader.reader"} <= set(modules)
    for module, names in modules.items():
        for name in names:
            assert _top(name) not in ("clearance", "ui", "screens", "loaders", "queries", "webapi"), \
                f"{module} imports {name}"


def test_nothing_is_named_desk_any_more():
    """Five modules were called "desk"; each now says what it is."""
    for path in ROOT.rglob("desk*.py"):
        if ".venv" not in path.parts and path.stem in ("desk", "desks"):
            raise AssertionError(f"a module called desk: {path.relative_to(ROOT)}")
