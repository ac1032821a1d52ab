"""Corrections of what an import recorded: a wrong received date is fixed by importing the file again.

`avtal remiss import ROUND FILE --received DATE` for a file already imported does not add a
revision: it sets the revision's `received` to DATE and records the correction on it (old and new
date, who, when), so the record shows both what was first entered and why it changed.
"""

from __future__ import annotations

import datetime as dt
import getpass
import subprocess
from pathlib import Path

from ...model.remiss import Answer, Correction


def corrector(sources: Path) -> str:
    """Who is correcting: git's user.name for the sources' repository, else the login name."""
    try:
        name = subprocess.run(["git", "-C", str(sources), "config", "user.name"], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "okänd"


def correct_received(answer: Answer, number: int, new: dt.date, *, by: str,
                     at: dt.datetime | None = None) -> Answer | None:
    """The answer with revision `number` received on `new` and the correction recorded; None if nothing changes."""
    revision = answer.revisions[number - 1]
    if revision.received == new:
        return None
    at = at or dt.datetime.now(dt.timezone.utc).astimezone().replace(microsecond=0)
    fixed = revision.model_copy(update={"received": new, "corrections": revision.corrections + (
        Correction(field="received", old=revision.received, new=new, by=by, at=at),)})
    revisions = tuple(fixed if r.number == number else r for r in answer.revisions)
    return answer.model_copy(update={"revisions": revisions})
