"""The configuration files loaded into the store: the stage catalogue, the batches and the
known colleges.

An administrator edits `config/stages.toml`, `config/colleges.toml` (and, before the first
start, `config/batches.toml`, the seed of the batches table); the next start loads them. A start
with unchanged files writes nothing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from clearance.paths import PROJECT_ROOT
from clearance.rules.catalogue import Catalogue, parse_batches, parse_catalogue
from clearance.rules.colleges import Colleges, parse_colleges
from clearance.store.db import Store
from clearance.store.students import add_colleges, ensure_status_rows

STAGES_FILE = Path(os.environ.get("CLEARANCE_STAGES") or PROJECT_ROOT / "config" / "stages.toml")
BATCHES_FILE = Path(os.environ.get("CLEARANCE_BATCHES") or PROJECT_ROOT / "config" / "batches.toml")
COLLEGES_FILE = Path(os.environ.get("CLEARANCE_COLLEGES") or PROJECT_ROOT / "config" / "colleges.toml")


def load_catalogue(path: Path = STAGES_FILE) -> Catalogue:
    return parse_catalogue(path.read_text(encoding="utf-8"), path.name)


def load_colleges(path: Path = COLLEGES_FILE) -> Colleges:
    return parse_colleges(path.read_text(encoding="utf-8"), path.name)


def sync_config(store: Store) -> bool:
    """Load the catalogue, batches and colleges into the store if the files changed.
    Returns True if written."""
    stages_text = STAGES_FILE.read_text(encoding="utf-8")
    batches_text = BATCHES_FILE.read_text(encoding="utf-8")
    colleges_text = COLLEGES_FILE.read_text(encoding="utf-8")
    catalogue = parse_catalogue(stages_text, STAGES_FILE.name)
    batches = parse_batches(batches_text, BATCHES_FILE.name)
    colleges = parse_colleges(colleges_text, COLLEGES_FILE.name)
    store.catalogue = catalogue
    store.colleges = colleges
    digest = hashlib.sha256(
        "\0".join((stages_text, batches_text, colleges_text)).encode()).hexdigest()
    if store.read_value("SELECT value FROM settings WHERE key = 'config_hash'") == digest:
        return False
    with store.transaction() as cur:
        _write_catalogue(cur, catalogue)
        # batches.toml is only the first-run seed: afterwards batches are created, edited and
        # closed on the admin page (clearance.store.batches); the file no longer overrides them.
        if not cur.execute("SELECT count(*) FROM batches").fetchall()[0][0]:
            for b in batches:
                cur.execute(
                    "INSERT INTO batches (batch_id, title, period_start, period_end, diploma_start,"
                    " diploma_end, card_deactivation, diploma_start_part) VALUES ($batch_id, $title,"
                    " $period_start, $period_end, $diploma_start, $diploma_end, $card_deactivation,"
                    " $diploma_start_part)",
                    b,
                )
        # Known colleges join the pickers before any student of theirs is imported; a name
        # dropped from the file stays in the table (with its code) while students may still carry it.
        add_colleges(cur, "SELECT unnest($names) AS college", {"names": colleges.names})
        ensure_status_rows(cur, catalogue, actor_name="system", source="catalogue")
        cur.execute(
            "INSERT OR REPLACE INTO settings VALUES ('config_hash', $h)", {"h": digest}
        )
    return True


def _write_catalogue(cur, catalogue: Catalogue) -> None:
    for table in ("stages", "stage_items", "stage_locations", "campus_routes", "stage_brings"):
        cur.execute(f"DELETE FROM {table}")  # table names are constants, not input
    for s in catalogue.stages:
        cur.execute(
            "INSERT INTO stages VALUES ($id, $seq, $name, $dept, $scope, $brings, $checks, $note,"
            " $pre, $adv, $nrf)",
            {
                "id": s.stage_id, "seq": s.seq, "name": s.name, "dept": s.department,
                "scope": s.scope, "brings": s.brings, "checks": s.checks, "note": s.note,
                "pre": list(s.prerequisites), "adv": list(s.advice_after),
                "nrf": list(s.not_required_for),
            },
        )
        for clearance_type, brings in s.brings_by_type.items():
            cur.execute("INSERT INTO stage_brings VALUES ($id, $type, $brings)",
                        {"id": s.stage_id, "type": clearance_type, "brings": brings})
        for n, item in enumerate(s.items, start=1):
            cur.execute(
                "INSERT INTO stage_items VALUES ($id, $n, $text, $nrf)",
                {"id": s.stage_id, "n": n, "text": item.text, "nrf": list(item.not_required_for)},
            )
        for campus, loc in s.locations.items():
            cur.execute(
                "INSERT INTO stage_locations VALUES ($id, $campus, $room, $phone, $hours)",
                {"id": s.stage_id, "campus": campus, "room": loc.room, "phone": loc.phone,
                 "hours": loc.hours},
            )
        for campus in catalogue.campuses:
            loc = catalogue.location(s.stage_id, campus)
            cur.execute(
                "INSERT INTO campus_routes VALUES ($campus, $id, $room, $phone, $hours)",
                {"campus": campus, "id": s.stage_id, "room": loc.room, "phone": loc.phone,
                 "hours": loc.hours},
            )
    # A new stage id gets the next free code (migration 036); a code is never changed or reused,
    # so a stage dropped and added again keeps its code and its status rows stay right.
    cur.execute(
        "INSERT INTO stage_codes SELECT stage_id, (SELECT coalesce(max(stage_code), 0) FROM stage_codes)"
        " + row_number() OVER (ORDER BY seq, stage_id)"
        " FROM stages WHERE stage_id NOT IN (SELECT stage_id FROM stage_codes)")
