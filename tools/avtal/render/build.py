"""`avtal build`: every document as Word, PDF and web page in dist/, in parallel and incrementally.

Each output is recorded in dist/.avtal-build.json with a fingerprint of
everything it shows: its own source, the numbers and titles it cites from
other documents, the terms and statutes it uses, the templates, the tool's
own code and the build date. An output whose fingerprint is unchanged is not
rebuilt, so editing one clause rebuilds one document (and those that cite
a clause whose number changed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generic, Iterator, TypeVar

from .. import __version__
from ..fsutil import atomic_write_bytes
from ..model import Corpus, Document, snapshot
from ..model.text import Cite, DocRef, Ref, block_inlines, walk_inlines
from . import publication, wording
from .docx import document_publication
from .house import TEMPLATES
from .publication import Publication
from .site import static_assets
from .tree import TreeBuilder
from .web import document_web, render_glossary, render_index, search_index

MANIFEST = ".avtal-build.json"
T = TypeVar("T")
CODE = Path(__file__).resolve().parents[1]


def build_time(corpus: Corpus) -> dt.datetime:
    """SOURCE_DATE_EPOCH if set, else the latest version date of the sources (midnight UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    latest = max(d.source.version_date for d in corpus.documents)
    return dt.datetime(latest.year, latest.month, latest.day, tzinfo=dt.timezone.utc)


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()


def common_fingerprint(when: dt.datetime) -> str:
    """What every output depends on: the tool's code, the templates, the build date."""
    files = sorted([*CODE.rglob("*.py"), *TEMPLATES.rglob("*")])
    return _digest(__version__, when.isoformat(), *(part for p in files if p.is_file() for part in (p.name, p.read_bytes())))


def document_fingerprint(corpus: Corpus, doc: Document, common: str) -> str:
    """What one document's outputs show: its source and what it cites from elsewhere."""
    cited: list[str] = []
    for inlines in doc.runs():
        for node in walk_inlines(inlines):
            if isinstance(node, Ref):
                target = corpus.clause(node.target)
                cited.append(f"ref {target.id} {target.label} {corpus.document(target.doc).source.short_title}")
            elif isinstance(node, DocRef):
                cited.append(f"doc {node.doc} {corpus.document(node.doc).title}")
    # A source node's repr is its content: every field, in order, all the way down.
    terms = [repr(t.source) for t in wording.terms_used(corpus, doc)]
    statutes = [repr(s) for s in corpus.statutes]
    return _digest(common, repr(doc.source), *sorted(set(cited)), *terms, *statutes,
                   *statute_texts(corpus, doc.runs(), doc.source.valid_from))


def statute_texts(corpus: Corpus, runs, day: dt.date) -> list[str]:
    """The texts of the sections these runs cite, as the web shows them (a new consolidation rebuilds)."""
    found = {node for inlines in runs for node in walk_inlines(inlines) if isinstance(node, Cite)}
    texts = (corpus.provision(cite, day) for cite in found)
    return sorted(f"{p.pinpoint} {p.text}" for p in texts if p is not None)


@dataclass
class Job:
    path: str  # relative to dist/
    fingerprint: str
    make: Callable[[], bytes]
    size: int = 0  # its document's clauses: the largest is laid out first, so it does not finish last alone


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Once(Generic[T]):
    """A value made on first use, by whichever job asks first; the others wait for it (a failure is raised to each)."""

    def __init__(self, make: Callable[[], T]):
        self.make, self.lock, self.value = make, threading.Lock(), None

    def __call__(self) -> T:
        with self.lock:
            if self.value is None:
                self.value = self.make()
            return self.value


def document(corpus: Corpus, doc: Document, when: dt.datetime) -> Publication:
    """One document's publication: its tree built once for Word, PDF and web (each spells its own links)."""
    builder = TreeBuilder(corpus, doc, None, statute_texts=True)
    return document_publication(corpus, doc, when, builder.body(), web=document_web(corpus, doc), spell=builder.spell)


def _document_jobs(corpus: Corpus, doc: Document, when: dt.datetime, fingerprint: str) -> list[Job]:
    """A document's PDF, Word file and web page, from one tree, one typst source and one layout, each made by
    whichever job asks first. Word and web ask for the typst source first, so the layout, the longest step,
    starts before they take the interpreter (typst lays out without it). Word's contents show the PDF's
    pages: it writes its body while the document is laid out, and fills them in while the PDF is written."""
    pub = Once(lambda: document(corpus, doc, when))
    source = Once(lambda: publication.typst_source(pub()))
    layout = Once(lambda: publication.layout(pub(), source()))

    def word() -> bytes:
        source()
        return publication.docx(pub(), lambda: layout().pages)

    def web() -> bytes:
        source()
        return publication.html_page(pub())

    size = sum(1 for _ in doc.clauses())
    return [Job(f"{doc.id}.pdf", fingerprint, lambda: layout().pdf(), size), Job(f"{doc.id}.docx", fingerprint, word, size),
            Job(f"web/{doc.id}.html", fingerprint, web, size)]


def plan(corpus: Corpus, when: dt.datetime) -> list[Job]:
    """Every output of a build, each with its fingerprint and how to make it."""
    common = common_fingerprint(when)
    jobs: list[Job] = []
    for doc in corpus.documents:
        jobs.extend(_document_jobs(corpus, doc, when, document_fingerprint(corpus, doc, common)))
    listing = _digest(common, repr(corpus.package), *(repr([getattr(d.source, name) for name in (
        "id", "title", "kind", "status", "version_date", "diarienummer", "short_title")]) for d in corpus.documents))
    jobs.append(Job("web/index.html", listing, lambda: render_index(corpus).encode("utf-8")))
    glossary = _digest(common, corpus.package.title, *(repr(t.source) for t in corpus.terms),
                       *(repr(s) for s in corpus.statutes),
                       *statute_texts(corpus, (r for t in corpus.terms for r in block_inlines(t.definition)),
                                      corpus.documents[0].source.valid_from))
    jobs.append(Job("web/begrepp.html", glossary, lambda: render_glossary(corpus).encode("utf-8")))
    index = search_index(corpus).encode("utf-8")
    jobs.append(Job("web/assets/search-index.js", _digest(index), lambda: index))
    for name, data in static_assets().items():
        jobs.append(Job(f"web/{name}", _digest(data), lambda data=data: data))
    return jobs


class Progress:
    """One updating line on a terminal; silent when output is a pipe or under CI."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.live = stream.isatty() and not os.environ.get("CI")

    def step(self, name: str) -> None:
        self.done += 1
        if self.live:
            self.stream.write(f"\r\033[K[{self.done}/{self.total}] {name}")
            self.stream.flush()

    def close(self) -> None:
        if self.live and self.done:
            self.stream.write("\r\033[K")
            self.stream.flush()


@contextmanager
def _prompt_handover(seconds: float = 0.0005) -> Iterator[None]:
    """Threads that want the interpreter get it within `seconds` instead of Python's 5 ms: a layout starts as
    soon as its typst source is written, not when the thread writing a web page next lets go (~5 ms of an edit)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def build(corpus: Corpus, dist: Path, *, jobs: int | None = None, force: bool = False) -> BuildReport:
    """Write every out-of-date output into dist/ (atomically, in parallel across cores)."""
    started = time.perf_counter()
    report = BuildReport()
    when = build_time(corpus)
    manifest_path = dist / MANIFEST
    try:
        previous: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))["outputs"]
    except (OSError, ValueError, KeyError):
        previous = {}
    todo: list[Job] = []
    current: dict[str, str] = {}
    for job in plan(corpus, when):
        current[job.path] = job.fingerprint
        if not force and previous.get(job.path) == job.fingerprint and (dist / job.path).exists():
            report.unchanged.append(job.path)
        else:
            todo.append(job)
    progress = Progress(len(todo))
    # The PDFs, largest first, one per core: typst lays out without the interpreter lock, so its layouts keep the
    # cores busy. Meanwhile one more thread does what needs the interpreter: web pages first, then the load kept
    # for the next command (`snapshot.flush`), then Word files, each of which writes its body while its document
    # is laid out and waits for the pages only to fill in its contents. (Whichever thread first asks for a
    # document's tree, typst source or layout makes it.)
    pdfs = sorted((j for j in todo if j.path.endswith(".pdf")), key=lambda j: -j.size)
    web = sorted((j for j in todo if not j.path.endswith((".pdf", ".docx"))), key=lambda j: -j.size)
    word = sorted((j for j in todo if j.path.endswith(".docx")), key=lambda j: -j.size)

    def run(job: Job) -> None:
        atomic_write_bytes(dist / job.path, job.make())

    with _prompt_handover(), ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as layouts, \
            ThreadPoolExecutor(max_workers=1) as writers:
        submitted = [(job, layouts.submit(run, job)) for job in pdfs] + [(job, writers.submit(run, job))
                                                                            for job in web]
        kept = writers.submit(snapshot.flush)
        submitted += [(job, writers.submit(run, job)) for job in word]
        for job, future in submitted:
            future.result()  # the first failure is raised here, once the running jobs finish
            report.built.append(job.path)
            progress.step(job.path)
        kept.result()
    progress.close()
    for stale in sorted(set(previous) - set(current)):
        (dist / stale).unlink(missing_ok=True)
        report.removed.append(stale)
    atomic_write_bytes(manifest_path, (json.dumps({"outputs": current}, indent=1, sort_keys=True) + "\n").encode())
    report.seconds = time.perf_counter() - started
    return report
