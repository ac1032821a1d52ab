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
    round_changed = round_file.exists() and round_file.stat().st_mtime_ns > manifest.stat().st_mtime_ns
    stale: list[tuple[str, str]] = []  # (party, what differs): reported as one line, however many parties
    found: dict[str, PackedZip] = {}
    recipients = {p.id: p for p in info.addressees}
    for party in info.addressees:
        if party.id not in zips:
            stale.append((party.id, f"new recipient ({party.name}), no {party.id}.zip"))
            continue
        line, values = zips[party.id]
        here = Location(shown, line, 1)
        placeholder = str(values["email_placeholder"].strip().lower() in TRUE_WORDS).lower()
        differs = [f"{what} '{packed}' → '{now}'" for what, packed, now in (
            ("name", values["name"], party.name), ("e-mail", values["email"], party.email),
            ("email_placeholder", placeholder, str(party.email_placeholder).lower())) if packed != now]
        if differs:
            stale.append((party.id, ", ".join(differs)))
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
    stale += [(party_id, f"packed but no longer a recipient of {info.id}") for party_id in sorted(zips)
              if party_id not in recipients]
    if round_changed or stale:
        problems.add(Location(info.file if round_changed else shown), _stale_line(info, shown, round_changed, stale)
                     + f": {fix} again, so the missiv and svarsformulär say what the sources say now",
                     where=stale[0][0] if len(stale) == 1 else "")
    return found


def _stale_line(info: RoundInfo, manifest: str, round_changed: bool, stale: list[tuple[str, str]]) -> str:
    """Why a pack is stale, in one line: the first few parties in full, the rest counted."""
    shown = "; ".join(f"{party}: {what}" for party, what in stale[:3])
    more = f"; and {len(stale) - 3} more" if len(stale) > 3 else ""
    parts = [f"the round changed after it was packed ({manifest} is older)"] if round_changed else []
    if stale:
        parts.append(f"{len(stale)} recipient(s) changed in the sources since packing ({shown}{more})")
    return "the pack is stale: " + "; ".join(parts)
