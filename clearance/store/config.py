"""The configuration files loaded into the store: the stage catalogue and the batches.

An administrator edits `config/stages.toml` and `config/batches.toml`; the next start loads
them. A start with unchanged files writes nothing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from clearance.paths import PROJECT_ROOT
from clearance.rules.catalogue import Catalogue, parse_batches, parse_catalogue
from clearance.store.db import Store
from clearance.store.students import ensure_status_rows

STAGES_FILE = Path(os.environ.get("CLEARANCE_STAGES") or PROJECT_ROOT / "config" / "stages.toml")
BATCHES_FILE = Path(os.environ.get("CLEARANCE_BATCHES") or PROJECT_ROOT / "config" / "batches.toml")


def load_catalogue(path: Path = STAGES_FILE) -> Catalogue:
    return parse_catalogue(path.read_text(encoding="utf-8"), path.name)


def sync_config(store: Store) -> bool:
    """Load the catalogue and batches into the store if the files changed. Returns True if written."""
    stages_text = STAGES_FILE.read_text(encoding="utf-8")
    batches_text = BATCHES_FILE.read_text(encoding="utf-8")
    catalogue = parse_catalogue(stages_text, STAGES_FILE.name)
    batches = parse_batches(batches_text, BATCHES_FILE.name)
    store.catalogue = catalogue
    digest = hashlib.sha256((stages_text + "\0" + batches_text).encode()).hexdigest()
    if store.read_value("SELECT value FROM settings WHERE key = 'config_hash'") == digest:
        return False
    with store.transaction() as cur:
        _write_catalogue(cur, catalogue)
        for b in batches:
            cur.execute("DELETE FROM batches WHERE batch_id = $batch_id", {"batch_id": b["batch_id"]})
            cur.execute(
                "INSERT INTO batches VALUES ($batch_id, $title, $period_start, $period_end,"
                " $diploma_start, $diploma_end, $card_deactivation)",
                b,
            )
        ensure_status_rows(cur, catalogue, actor_name="system", source="catalogue")
        cur.execute(
            "INSERT OR REPLACE INTO settings VALUES ('config_hash', $h)", {"h": digest}
        )
    return True


def _write_catalogue(cur, catalogue: Catalogue) -> None:
    for table in ("stages", "stage_items", "stage_locations", "campus_routes"):
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
