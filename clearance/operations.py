"""config/operations.toml: backups, health thresholds and where the command line finds the app.

Read once per process (`operations_config()`); $CLEARANCE_OPERATIONS points at another file
(tests use it to shorten or switch off the daily backup).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from datetime import time
from functools import lru_cache
from pathlib import Path

from clearance.paths import PROJECT_ROOT

OPERATIONS_FILE = PROJECT_ROOT / "config" / "operations.toml"


class OperationsConfigError(ValueError):
    """operations.toml is missing a value or holds one that is not a value."""


@dataclass(frozen=True)
class OperationsConfig:
    backup_folder: str = "backups"
    keep: int = 14
    daily_at: time | None = time(2, 30)
    min_free_mb: int = 200
    scan_at_start: bool = True
    app_url: str = "http://127.0.0.1:8501"

    def backup_root(self, store_path: Path) -> Path:
        """Where snapshots of the store at `store_path` go."""
        folder = Path(self.backup_folder)
        return folder if folder.is_absolute() else Path(store_path).resolve().parent / folder


def parse_operations(text: str, source: str = "operations.toml") -> OperationsConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OperationsConfigError(f"{source} 格式错误：{exc}") from exc
    backup, health, command = (data.get(k, {}) for k in ("backup", "health", "command"))
    keep = backup.get("keep", 14)
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise OperationsConfigError(f"{source} [backup] keep 须为不小于 1 的整数，实际为 {keep!r}")
    daily = backup.get("daily_at", "02:30")
    match = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", daily) if isinstance(daily, str) else None
    if daily != "" and match is None:
        raise OperationsConfigError(f"{source} [backup] daily_at 须为 HH:MM 或空，实际为 {daily!r}")
    min_free = health.get("min_free_mb", 200)
    if not isinstance(min_free, int) or isinstance(min_free, bool) or min_free < 0:
        raise OperationsConfigError(f"{source} [health] min_free_mb 须为非负整数，实际为 {min_free!r}")
    return OperationsConfig(
        backup_folder=str(backup.get("folder", "backups")),
        keep=keep,
        daily_at=time(int(match[1]), int(match[2])) if match else None,
        min_free_mb=min_free,
        scan_at_start=bool(health.get("scan_at_start", True)),
        app_url=str(command.get("app_url", "http://127.0.0.1:8501")).rstrip("/"),
    )


@lru_cache(maxsize=1)
def operations_config() -> OperationsConfig:
    path = Path(os.environ.get("CLEARANCE_OPERATIONS") or OPERATIONS_FILE)
    return parse_operations(path.read_text(encoding="utf-8"), path.name)
