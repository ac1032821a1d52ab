"""The pack `avtal remiss pack ROUND` wrote, read back and checked before any e-mail is made of it."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ...model.problems import Location, Problems, relative
from ...model.remiss import RoundInfo, round_path
from .lists import MANIFEST
from .lists import MANIFEST_HEADER as MANIFEST_COLUMNS
from .smtp import TRUE_WORDS

PACK_DIR = "remiss"  # dist/remiss/<round>/

@dataclass(frozen=True)
class PackedZip:
    """One party's zip as the manifest records it (and as verified on disk)."""

    path: Path
    size: int
    sha256: str


def pack_folder(dist: Path, round_id: str) -> Path:
    return dist / PACK_DIR / round_id


def read_pack(sources: Path, info: RoundInfo, dist: Path, problems: Problems) -> dict[str, PackedZip]:
    """Each recipient's zip, checked against manifest.csv and the current sources.

    A pack is stale when the round file changed after packing, or the manifest's
    recipients, names or addresses differ from the sources now: the missiv and the
    svarsformulär would then say something the round no longer says.
    """
    folder = pack_folder(dist, info.id)
    manifest = folder / MANIFEST
    shown = relative(manifest)
    fix = f"run `avtal remiss pack {info.id}`"
    if not manifest.is_file():
        problems.add(Location(shown), f"no package for round '{info.id}' ({shown} is missing): {fix} first")
        return {}
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(Location(shown), f"cannot read the manifest ({exc}): {fix} again")
        return {}
    rows = list(csv.reader(text.splitlines()))
    header = tuple(rows[0]) if rows else ()
    missing = [c for c in MANIFEST_COLUMNS if c not in header]
    if missing:
        problems.add(Location(shown, 1, 1), f"manifest lacks the column(s) {', '.join(missing)}: expected the header "
                     f"{','.join(MANIFEST_COLUMNS)}; {fix} again")
        return {}
    column = {name: header.index(name) for name in MANIFEST_COLUMNS}
    zips: dict[str, tuple[int, dict[str, str]]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) < len(header):
            problems.add(Location(shown, line, 1), f"row has {len(row)} of {len(header)} columns: {fix} again")
            continue
        values = {name: row[i] for name, i in column.items()}
        if values["file"] == f"{values['party']}.zip":
            zips[values["party"]] = (line, values)

    round_file = round_path(sources, info.id)
    if round_file.exists() and round_file.stat().st_mtime_ns > manifest.stat().st_mtime_ns:
        problems.add(Location(info.file), f"the round changed after it was packed ({shown} is older): {fix} again, "
                     "so the missiv and svarsformulär say what the round says now")
    found: dict[str, PackedZip] = {}
    recipients = {p.id: p for p in info.addressees}
    for party in info.addressees:
        if party.id not in zips:
            problems.add(Location(shown), f"the package has no {party.id}.zip for recipient '{party.id}' "
                         f"({party.name}): the pack is stale; {fix} again", where=party.id)
            continue
        line, values = zips[party.id]
        here = Location(shown, line, 1)
        placeholder = str(values["email_placeholder"].strip().lower() in TRUE_WORDS).lower()
        for what, packed, now in (("name", values["name"], party.name), ("e-mail", values["email"], party.email),
                                  ("email_placeholder", placeholder, str(party.email_placeholder).lower())):
            if packed != now:
                problems.add(here, f"packed with {what} '{packed}' but {info.book.file} now says '{now}': the pack is "
                             f"stale; {fix} again", where=party.id)
        path = folder / values["file"]
        try:
            size, sha = int(values["bytes"]), values["sha256"].strip().lower()
        except ValueError:
            problems.add(here, f"bytes '{values['bytes']}' is not a number: {fix} again", where=party.id)
            continue
        if not path.is_file():
            problems.add(Location(relative(path)), f"missing (listed in {shown} line {line}): {fix} again",
                         where=party.id)
            continue
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if len(data) != size or actual != sha:
            problems.add(Location(relative(path)), f"SHA-256 {actual[:12]}… ({len(data)} bytes) differs from "
                         f"{shown} line {line} ({sha[:12]}…, {size} bytes): the zip changed after packing; "
                         f"{fix} again", where=party.id)
            continue
        found[party.id] = PackedZip(path, size, sha)
    for party_id, (line, _) in sorted(zips.items()):
        if party_id not in recipients:
            problems.add(Location(shown, line, 1), f"packed for '{party_id}', who is no longer a recipient of "
                         f"{info.id}: the pack is stale; {fix} again", where=party_id)
    return found
