"""Where the remiss sources are under sources/: names and paths only (see model.remiss for the layout).

Kept apart from the remiss model so that a command that only asks whether a round exists (`avtal
redline` looking for the round behind its changes) does not import the model's pydantic classes.
"""

from __future__ import annotations

from pathlib import Path

PARTIES_FILE = "parter.yaml"
REMISS_DIR = "remiss"
ANSWERS_DIR = "svar"
INCOMING_DIR = "inkommet"
POSITIONS_FILE = "stallningstaganden.yaml"
ASSESSMENT_FILE = "bedomning.yaml"


def parties_path(sources: Path) -> Path:
    return sources / PARTIES_FILE


def round_path(sources: Path, round_id: str) -> Path:
    return sources / REMISS_DIR / f"{round_id}.yaml"


def round_ids(sources: Path) -> list[str]:
    folder = sources / REMISS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.exists() else []
