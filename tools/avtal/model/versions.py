"""Frozen versions: named, immutable snapshots of all sources, and resolving a version name.

`freeze` (in `model.freeze`) writes sources/versions/<name>/ (a complete sources
tree, every document stamped with the version's date and status) plus version.yaml
with each file's SHA-256, so a snapshot edited after freezing is detected and
refused. Wherever a version is expected, `resolve` accepts a frozen name, a
git ref, or `working` (the current sources).

The name is a slug for folders and commands; readers see a version's title
instead. version.yaml may record one (`freeze --title`); it is outside the
checksummed files, so versions frozen before titles existed keep their checksums,
and an untitled version is called by its status and date
(`render.wording.version_name`, e.g. "Remissversion 2025-01-30").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Iterator

from ..fsutil import cached_pickle, read_limited, sweep_folder
from .corpus import Corpus, load
from .problems import Location, Problems, SourceError, relative

VERSIONS_DIR = "versions"
VERSION_FILE = "version.yaml"
WORKING = "working"


@dataclass(frozen=True)
class Version:
    name: str
    date: dt.date
    status: str
    folder: Path
    checksum: str
    title: str | None = None  # what readers call it; None: status and date (render.wording.version_name)


def digest_files(folder: Path) -> dict[str, str]:
    files = sorted(p for p in folder.rglob("*.yaml") if p.name != VERSION_FILE and p.is_file())
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def files_checksum(files: dict[str, str]) -> str:
    return hashlib.sha256("".join(f"{sha}  {path}\n" for path, sha in sorted(files.items())).encode()).hexdigest()


def versions_dir(sources: Path) -> Path:
    return sources / VERSIONS_DIR


def read_version(folder: Path) -> Version:
    """Read version.yaml and verify every file against its recorded SHA-256."""
    shown = relative(folder / VERSION_FILE)
    problems = Problems()
    record = _record(folder, shown)
    try:
        recorded: dict[str, str] = dict(record["files"])
        title = record.get("title")
        version = Version(str(record["name"]), record["date"], str(record["status"]), folder, str(record["checksum"]),
                          str(title) if title else None)
    except (KeyError, TypeError, ValueError) as exc:
        problems.add(Location(shown), f"unreadable version record ({exc.__class__.__name__}): expected name, date, "
                     "status, files and checksum")
        raise SourceError(problems) from None
    actual = digest_files(folder)
    for path in sorted(set(recorded) | set(actual)):
        if path not in actual:
            problems.add(Location(shown), f"frozen version '{version.name}' is missing {path}")
        elif path not in recorded:
            problems.add(Location(shown), f"frozen version '{version.name}' has a file added after freezing: {path}")
        elif recorded[path] != actual[path]:
            problems.add(Location(relative(folder / path)), f"frozen version '{version.name}' was modified after "
                         f"freezing (SHA-256 {actual[path][:12]}…, recorded {recorded[path][:12]}…): frozen versions "
                         "are immutable; restore the file from git, or freeze a new version")
    if not problems and files_checksum(actual) != version.checksum:
        problems.add(Location(shown), f"checksum of version '{version.name}' does not match its files")
    if problems:
        raise SourceError(problems)
    return version


def _record(folder: Path, shown: str):
    """version.yaml's data, parsed once per content and kept (a pickle under CACHE_DIR/versions/): a frozen
    version never changes, and a redline between kept loads then needs no YAML loader (~8 ms of its start)."""
    def parse():
        from .yamlfile import read_yaml

        problems = Problems()
        source = read_yaml(folder / VERSION_FILE, shown, problems)  # bounded like every YAML we read
        if source is None:
            raise SourceError(problems)
        return source.data

    try:
        digest = hashlib.sha256(read_limited(folder / VERSION_FILE, 2**20)).hexdigest()[:32]
    except OSError:  # unreadable, not a regular file or over 1 MB: parsing says which, as for any YAML
        return parse()
    return cached_pickle(folder.parent.parent, "versions", f"{folder.name}-{digest}", parse)


def list_versions(sources: Path) -> list[Version]:
    """Every frozen version, oldest first; a tampered one raises SourceError."""
    folder = versions_dir(sources)
    sweep_folder(folder)  # the staging folders of killed freezes
    found = [read_version(p) for p in sorted(folder.iterdir()) if (p / VERSION_FILE).exists()] if folder.exists() else []
    return sorted(found, key=lambda v: (v.date, v.name))


@contextmanager
def resolve(sources: Path, spec: str) -> Iterator[tuple[Path, str]]:
    """The sources folder of a version spec (frozen name, git ref or 'working') and that name."""
    if spec == WORKING:
        yield sources, WORKING
        return
    frozen = versions_dir(sources) / spec
    if (frozen / VERSION_FILE).exists():
        yield read_version(frozen).folder, spec
        return
    with _git_sources(sources, spec) as folder:
        yield folder, spec


@contextmanager
def _git_sources(sources: Path, ref: str) -> Iterator[Path]:
    import subprocess  # a git ref: most loads are of frozen versions and the working sources
    import tarfile

    top = subprocess.run(["git", "-C", str(sources), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
    names = [v.name for v in list_versions(sources)]
    known = ", ".join(names) or "none"
    if top.returncode != 0 or subprocess.run(["git", "-C", str(sources), "rev-parse", "--verify", "--quiet",
                                              f"{ref}^{{commit}}"], capture_output=True).returncode != 0:
        problems = Problems()
        close = get_close_matches(ref, [*names, WORKING], n=1, cutoff=0.6)
        guess = f" (did you mean '{close[0]}'?)" if close else ""
        problems.add(Location(ref), f"unknown version '{ref}'{guess}: expected a frozen version ({known}), a git ref, or "
                     f"'{WORKING}'")
        raise SourceError(problems)
    prefix = Path(sources).resolve().relative_to(Path(top.stdout.strip()).resolve()).as_posix()
    archive = subprocess.run(["git", "-C", top.stdout.strip(), "archive", "--format=tar", ref, prefix],
                             capture_output=True, check=True).stdout
    with tempfile.TemporaryDirectory(prefix="avtal-git-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / prefix


def version_notes(folder: Path) -> Problems:
    """The notes on a frozen version (e.g. a pinpoint not in force on its date): it can never be corrected."""
    _, found = load(folder)
    return Problems([p for p in found if p.severity == "note"])


def frozen_version(sources: Path, spec: str) -> Version | None:
    """The record of a frozen version (verified); None for a git ref or 'working'."""
    frozen = versions_dir(sources) / spec
    return read_version(frozen) if spec != WORKING and (frozen / VERSION_FILE).exists() else None


def load_version(sources: Path, spec: str) -> tuple[Corpus, str]:
    """Load a version by spec; raises SourceError with every problem if it does not load."""
    with resolve(sources, spec) as (folder, name):
        corpus, problems = load(folder)
    if corpus is None:
        raise SourceError(problems)
    return corpus, name
