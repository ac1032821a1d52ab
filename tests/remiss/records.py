"""Test support for importing answers: a copy of the real sources without any answers, and snapshots.

Every import test works on its own copy of the real `sources/` (parties,
round remiss-2025 and its frozen version) with the round's answer folder left
out, so what a test finds there is what the test itself imported.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml

from tests.conftest import SOURCES

ROUND = "remiss-2025"
ROUND_DIR = Path("remiss") / ROUND


def copy_sources(target: Path) -> Path:
    """The real sources under `target`, without sources/remiss/remiss-2025/ (answers, inkommet, positions)."""
    def ignore(folder: str, names: list[str]) -> list[str]:
        here = Path(folder).resolve()
        if here == (SOURCES / "remiss").resolve():
            return [n for n in names if n == ROUND or n.startswith(".")]
        return []

    shutil.copytree(SOURCES, target, ignore=ignore)
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def round_info(sources: Path) -> dict:
    return yaml.safe_load((sources / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8"))


def parties(sources: Path) -> dict[str, dict]:
    data = yaml.safe_load((sources / "parter.yaml").read_text(encoding="utf-8"))
    return {p["id"]: p for p in data["parties"]}


def clause_ids(sources: Path, version: str = ROUND) -> list[str]:
    """Clause ids of a frozen version, read from its YAML (not through the code under test)."""
    out: list[str] = []

    def walk(items):
        for item in items:
            out.append(item["id"])
            walk(item.get("clauses", ()))

    for doc in sorted((sources / "versions" / version / "documents").glob("*.yaml")):
        walk(yaml.safe_load(doc.read_text(encoding="utf-8"))["sections"])
    return out


def manual(folder: Path, name: str, *, party: str | None, comments: list[dict], round: str = ROUND,
           received: dt.date | None = None, on_behalf_of: tuple[str, ...] = (), declined: bool = False,
           decided_by: dict | None = None) -> Path:
    """Write a hand-written answer (ManualAnswer YAML) as a registrar would."""
    data: dict = {"round": round}
    if party:
        data["party"] = party
    if on_behalf_of:
        data["on_behalf_of"] = list(on_behalf_of)
    if received:
        data["received"] = received
    if declined:
        data["declined"] = True
    if decided_by:
        data["decided_by"] = decided_by
    data["comments"] = comments
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def record(sources: Path, answerer: str) -> dict:
    """An answer record as plain YAML data (read with PyYAML, not the code under test)."""
    path = sources / ROUND_DIR / "svar" / f"{answerer}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def position(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the nth occurrence of `needle` in `text`."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1
