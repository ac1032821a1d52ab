"""What the remiss needs of a version (its clauses, their titles and documents), cached for frozen ones.

A frozen version never changes, so its index is kept in .build-cache/remiss/ under the version's
checksum and a digest of the code that builds it (`code_digest`); the working tree is indexed afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from ...fsutil import atomic_write_text
from ...model.corpus import Corpus
from ...model.versions import load_version, versions_dir


@dataclass(frozen=True)
class ClauseInfo:
    id: str
    doc: str
    label: str  # its number, e.g. '3.2'
    title: str


@dataclass(frozen=True)
class VersionIndex:
    """A version's documents and clauses (ids, numbers, headings): all positions and answers are checked against.

    Built from a Corpus, or read from the cache for a frozen version (immutable, so its index is
    keyed by its checksum): `avtal check` then does not parse the version's text at all.
    """

    name: str
    documents: tuple[str, ...]
    short_titles: dict[str, str]
    clauses: dict[str, ClauseInfo]  # in reading order
    latest: dt.date  # the latest version date of its documents (the date stamped on what we write)
    checksum: str = ""  # a frozen version's checksum (its files verified); empty for the working sources

    @classmethod
    def of(cls, corpus: Corpus, name: str) -> "VersionIndex":
        return cls(name, tuple(d.id for d in corpus.documents), {d.id: d.source.short_title for d in corpus.documents},
                   {c.id: ClauseInfo(c.id, d.id, c.label, c.title) for d in corpus.documents for c in d.clauses()},
                   max(d.source.version_date for d in corpus.documents))

    def to_json(self) -> dict:
        return {"name": self.name, "documents": list(self.documents), "short_titles": self.short_titles,
                "clauses": [[c.id, c.doc, c.label, c.title] for c in self.clauses.values()],
                "latest": self.latest.isoformat()}

    @classmethod
    def from_json(cls, data: dict) -> "VersionIndex":
        return cls(data["name"], tuple(data["documents"]), dict(data["short_titles"]),
                   {c[0]: ClauseInfo(*c) for c in data["clauses"]}, dt.date.fromisoformat(data["latest"]))

    def when(self) -> dt.datetime:
        """The timestamp of what we write for it: SOURCE_DATE_EPOCH, else `latest` (as render.build.build_time)."""
        import os

        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.strip().isdigit():
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
        return dt.datetime(self.latest.year, self.latest.month, self.latest.day, tzinfo=dt.timezone.utc)


CACHE_DIR = ".build-cache"  # beside sources/, git-ignored, removed by `make clean`


@cache
def code_digest() -> str:
    """What the cached results depend on besides the versions: the model and the diff."""
    root = Path(__file__).resolve().parents[2]
    digest_ = hashlib.sha256()
    for path in sorted([*(root / "model").glob("*.py"), root / "redline" / "diff.py", root / "redline" / "words.py",
                        Path(__file__)]):
        digest_.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest_.hexdigest()[:16]


def cached(sources: Path, kind: str, key: str, build):
    """The JSON value cached under (kind, key), or `build()` stored there; a broken cache is rebuilt silently."""
    path = sources.resolve().parent / CACHE_DIR / "remiss" / f"{kind}-{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = build()
    try:
        atomic_write_text(path, json.dumps(value, ensure_ascii=False))
    except OSError:
        pass  # a read-only checkout: no cache, same result
    return value


def version_index(sources: Path, name: str) -> VersionIndex:
    """A frozen version's index (cached by checksum); raises SourceError when it is tampered with or does not load."""
    from ...model.versions import read_version

    frozen = read_version(versions_dir(sources) / name)
    key = hashlib.sha256(f"{frozen.checksum} {code_digest()}".encode()).hexdigest()[:32]
    index = VersionIndex.from_json(cached(sources, "version", key,
                                          lambda: VersionIndex.of(load_version(sources, name)[0], name).to_json()))
    return replace(index, checksum=frozen.checksum)
