"""`avtal freeze`: the working sources snapshotted as a named, immutable version (read back by `versions`).

Apart from `versions` because it writes the snapshot with `dump`, whose schemas reach the remiss
models, whose rounds read versions: reading versions must not need the writer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from pathlib import Path

import yaml

from ..fsutil import staging_folder
from .corpus import load
from .dump import dump_sources
from .problems import Location, Problems, SourceError, relative
from .schema import ID_PATTERN, Glossary, Statutes, Status
from .versions import VERSION_FILE, WORKING, Version, digest_files, files_checksum, read_version, versions_dir


def freeze(sources: Path, name: str, *, date: dt.date, status: Status, title: str | None = None) -> Version:
    """Snapshot the working sources as version `name`; refuses an existing name or invalid sources.

    `title` is what readers will call the version (e.g. "Förslag till SRO 2025-08-21"); without it they
    see its status and date."""
    problems = Problems()
    target = versions_dir(sources) / name
    if not re.match(ID_PATTERN, name):
        problems.add(Location(str(name)), f"malformed version name '{name}': expected lowercase a-z, 0-9, hyphens "
                     "and dots, like 'remiss-2025'")
    elif target.exists() or name == WORKING:
        problems.add(Location(relative(target)), f"version '{name}' already exists: frozen versions are immutable; "
                     "choose a new name")
    if title is not None and (not title.strip() or "\n" in title.strip()):
        problems.add(Location(str(name)), f"malformed version title {title!r}: expected one line of text, like "
                     "'Remissversion 2025-01-30'")
    if problems:
        raise SourceError(problems)
    corpus, found = load(sources)
    if corpus is None:
        raise SourceError(found)
    docs = [dataclasses.replace(d.source, status=status, version_date=date) for d in corpus.documents]
    with staging_folder(target) as staging:  # also removes the staging of a killed freeze of this name
        dump_sources([corpus.package, Glossary(terms=tuple(t.source for t in corpus.terms)),
                      Statutes(statutes=corpus.statutes), *docs], staging, schemas=False)
        files = digest_files(staging)
        record = {"name": name, **({"title": " ".join(title.split())} if title else {}), "date": date,
                  "status": status, "files": files, "checksum": files_checksum(files)}
        (staging / VERSION_FILE).write_text(
            "# Written by `avtal freeze`; never edit a frozen version (its checksum would fail).\n"
            + yaml.safe_dump(record, allow_unicode=True, sort_keys=False), encoding="utf-8")
        os.replace(staging, target)  # the whole version appears at once, or not at all
    return read_version(target)
