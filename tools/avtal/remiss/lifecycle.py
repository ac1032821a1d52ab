"""A round's life before and after the mail: `avtal remiss new` and `avtal remiss extend`.

`new` starts a round from the previous one: whom it goes to, who to contact, the
letter and its questions carry over; the version, dates and deadline are the new
round's. `extend` grants one answerer a later deadline, recorded in the round file
(`extensions:`), which status and the report honour.

Both write the round file only after the result loads as a valid round, atomically.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

from ..fsutil import atomic_write_text
from ..model.dump import _plain, _yaml
from ..model.problems import Location, Problems, SourceError, relative
from ..model.remiss import MIN_MONTHS, Round, add_months, load_round, round_ids, round_path
from ..model.schema import ID_PATTERN
from ..model.versions import list_versions

_HEADER = """\
# yaml-language-server: $schema=../schema/round.schema.json
# Remiss round {id}, started from {previous} by `avtal remiss new`: recipients, contacts, sender
# and the letter (with its questions) are {previous}'s. Review the letter's text before packing.
"""


@dataclass(frozen=True)
class NewRound:
    """What `avtal remiss new` wrote."""

    path: Path
    previous: str
    round: Round

    def __str__(self) -> str:
        r = self.round
        return (f"wrote {relative(self.path)} from {self.previous}: version {r.version}"
                f"{f' (redline against {r.compared_with})' if r.compared_with else ''}, sent {r.sent}, deadline "
                f"{r.deadline}, {len(r.recipients) if r.recipients is not None else 'all'} parties and "
                f"{len(r.other_recipients)} other remissinstanser\n"
                f"next: review the letter in {relative(self.path)}, then `avtal check` and "
                f"`avtal remiss pack {r.id}`")


def _guess(word: str, candidates: list[str]) -> str:
    close = get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def latest_round(sources: Path) -> str | None:
    """The round sent last (by its sent date; the id breaks ties): what a new round starts from."""
    dated: list[tuple[dt.date, str]] = []
    for rid in round_ids(sources):
        try:
            dated.append((load_round(sources, rid).source.sent, rid))
        except SourceError:
            continue  # a broken round is not a template; `avtal check` reports it
    return max(dated)[1] if dated else None


def new_round(sources: Path, round_id: str, version: str, *, previous: str | None = None,
              sent: dt.date | None = None, deadline: dt.date | None = None, compared_with: str | None = None,
              diarienummer: str | None = None, title: str | None = None) -> NewRound:
    """Write sources/remiss/ROUND.yaml from `previous` (default: the round sent last).

    Defaults: sent today, deadline three months later (the least practice allows),
    the redline against the previous round's version. Refuses an existing round, an id that
    is not one, a version that is not frozen and a deadline that is not after the sent date.
    """
    problems = Problems()
    path = round_path(sources, round_id)
    shown = relative(path)
    if not re.fullmatch(ID_PATTERN, round_id):
        problems.add(Location(shown), f"'{round_id}' is not a round id: expected lowercase a–z, digits, hyphens "
                     "and dots, e.g. remiss-2026")
    if path.exists():
        problems.add(Location(shown), f"round '{round_id}' exists already: a new round needs a new id (the existing "
                     "file is left as it is)")
    known = round_ids(sources)
    previous = previous or latest_round(sources)
    if previous is None:
        problems.add(Location(relative(sources / "remiss")), "no previous round to start from: write the first "
                     "round file by hand (README: a round file in full)")
    elif previous not in known:
        problems.add(Location(relative(round_path(sources, previous))), f"--from {previous}: unknown round"
                     f"{_guess(previous, known)}; rounds: {', '.join(known) or 'none'}")
    frozen = [v.name for v in list_versions(sources)]
    for option, name in (("--version", version), ("--compared-with", compared_with)):
        if name and name not in frozen:
            problems.add(Location(relative(sources / "versions")), f"{option} {name}: version '{name}' is not frozen"
                         f"{_guess(name, frozen)}: run `avtal freeze {name}` first, or name one of: "
                         f"{', '.join(frozen) or 'none'}")
    if problems.errors:
        raise SourceError(problems)
    assert previous is not None
    old = load_round(sources, previous).source  # raises with its own problems when broken
    sent = sent or dt.date.today()
    deadline = deadline or add_months(sent, MIN_MONTHS)
    if deadline <= sent:
        problems.add(Location(shown), f"--deadline {deadline} is not after the sent date {sent}: expected a later "
                     "date")
        raise SourceError(problems)
    if compared_with is None and old.version != version:
        compared_with = old.version
    fresh = old.model_copy(update=dict(
        id=round_id, version=version, compared_with=compared_with, sent=sent, deadline=deadline, name=None,
        title=title or old.title, diarienummer=diarienummer or old.diarienummer, extensions={}))
    text = _HEADER.format(id=round_id, previous=previous) + _yaml(_plain(fresh))
    atomic_write_text(path, text)
    try:
        info = load_round(sources, round_id)
    except SourceError:
        path.unlink()  # never leave a round that does not load
        raise
    return NewRound(path, previous, info.source)


# -- extensions --

_EXTENSIONS = re.compile(r"^extensions:[ \t]*(\{\})?[ \t]*(#.*)?$", re.M)
_ENTRY = re.compile(r"^(?P<indent>[ \t]+)(?P<id>[a-z0-9][a-z0-9.-]*)[ \t]*:[ \t]*(?P<date>\S+)[^\n]*$")


def set_extension(sources: Path, round_id: str, answerer: str, until: dt.date | None) -> str:
    """Grant `answerer` the deadline `until` (None removes its extension); the rest of the file is kept as is."""
    info = load_round(sources, round_id)
    path = round_path(sources, round_id)
    text = path.read_text(encoding="utf-8")
    answerers = [x.id for x in info.addressees]
    if answerer not in answerers and info.book.answerer(answerer) is None:
        problems = Problems()
        problems.add(Location(info.file), f"unknown party or remissinstans '{answerer}'{_guess(answerer, answerers)}"
                     f": expected a recipient of {round_id}")
        raise SourceError(problems)
    lines = text.splitlines(keepends=True)
    head = next((i for i, line in enumerate(lines) if _EXTENSIONS.match(line.rstrip("\n"))), None)
    entries = {k: v.isoformat() for k, v in info.source.extensions.items()}
    if until is None:
        entries.pop(answerer, None)
    else:
        entries[answerer] = until.isoformat()
    block = "".join(f"  {k}: {v}\n" for k, v in sorted(entries.items())) if entries else ""
    new_block = ("extensions:\n" + block) if entries else "extensions: {}\n"
    if head is None:
        if not text.endswith("\n"):
            text += "\n"
        text += "# Later deadlines granted to single answerers (`avtal remiss extend`).\n" + new_block
    else:
        end = head + 1
        while end < len(lines) and (_ENTRY.match(lines[end].rstrip("\n")) or not lines[end].strip()):
            end += 1
        while end > head + 1 and not lines[end - 1].strip():
            end -= 1  # blank lines after the block belong to what follows
        text = "".join(lines[:head]) + new_block + "".join(lines[end:])
    old = path.read_text(encoding="utf-8")
    atomic_write_text(path, text)
    try:
        load_round(sources, round_id)
    except SourceError:
        atomic_write_text(path, old)
        raise
    who = info.book.answerer(answerer)
    name = who.name if who else answerer
    if until is None:
        return f"{name}: extension removed; deadline {info.source.deadline} ({info.file})"
    return f"{name}: deadline extended to {until} (the round's is {info.source.deadline}; {info.file})"
