"""The warm model behind `avtal serve`: sources in memory, dist/ kept current edit by edit.

What to write comes from `render.build.plan`, so the preview and `avtal build` agree on every
fingerprint: an output is written only when its fingerprint differs from the one on disk, and the
build manifest is kept current, so a later `avtal build` has nothing left to do. Web pages are
written at once; each document's PDF and Word file follow in one background thread, the PDF laid
out by a compiler kept per document (`KeptLayouts`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..fsutil import atomic_write_bytes
from ..model import Corpus, Document, Problem
from ..model.corpus import Memo, load
from ..render import publication
from ..render.build import MANIFEST, Job, build_time, document, plan
from ..render.typeset import KeptLayouts

# A change to one of these restyles or re-scripts every page: each open page reloads entirely.
_EVERY_PAGE = ("web/assets/style.css", "web/assets/search.js", "web/assets/fonts/")
BACKGROUND_NICE = 10  # PDF and Word wait for the CPU while a page is being written


@dataclass
class Update:
    """What one refresh changed: the served paths of the pages rewritten ("*": all), and the errors now."""

    pages: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)


class Preview:
    """Loads the sources (only the edited file again) and writes what an edit touched into `dist`."""

    def __init__(self, sources: Path, dist: Path, root: Path) -> None:
        self.sources, self.dist, self.root = sources, dist, root
        self.memo = Memo()
        self.corpus: Corpus | None = None
        self.errors: list[Problem] = []
        self._lock = threading.Lock()  # guards _on_disk and the manifest
        self._on_disk = self._read_manifest()
        self._pages = ThreadPoolExecutor(max_workers=2, thread_name_prefix="avtal-web")
        self._documents = _Documents(self)

    def _read_manifest(self) -> dict[str, str]:
        try:
            outputs = json.loads((self.dist / MANIFEST).read_text(encoding="utf-8"))["outputs"]
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return {path: fp for path, fp in outputs.items() if isinstance(fp, str) and (self.dist / path).is_file()}

    def refresh(self) -> Update:
        """Reload the sources; on errors keep the last pages and report the errors, else write what changed."""
        corpus, problems = load(self.sources, root=self.root, memo=self.memo)
        if corpus is None:
            self.errors = problems.errors
            return Update(errors=self.errors)
        self.corpus, self.errors = corpus, []
        when = build_time(corpus)
        jobs = plan(corpus, when)
        with self._lock:
            stale = [job for job in jobs if self._on_disk.get(job.path) != job.fingerprint]
        web = [job for job in stale if job.path.startswith("web/")]
        list(self._pages.map(self._write, web))
        self._remove_outdated({job.path for job in jobs})
        self._documents.submit(corpus, when, {job.path: job for job in stale if not job.path.startswith("web/")})
        return Update(pages=_served(job.path for job in web))

    def further_errors(self) -> list[Problem]:
        """What `avtal check` finds beyond loading (frozen versions, remiss sources), for the last good model."""
        from ..remiss.check import further_problems

        return further_problems(self.sources, self.corpus).errors if self.corpus is not None else []

    def _write(self, job: Job) -> str:
        self.put(job.path, job.fingerprint, job.make(), durable=False)  # the page is waited for: no fsync
        return job.path

    def put(self, path: str, fingerprint: str, data: bytes, *, durable: bool = True) -> None:
        """Write one output atomically and record its fingerprint."""
        atomic_write_bytes(self.dist / path, data, durable=durable)
        with self._lock:
            self._on_disk[path] = fingerprint

    def _remove_outdated(self, current: set[str]) -> None:
        """Outputs of what is no longer in the sources (a document taken out of the package)."""
        with self._lock:
            for path in sorted(set(self._on_disk) - current):
                (self.dist / path).unlink(missing_ok=True)
                del self._on_disk[path]

    def _save_manifest(self) -> None:
        with self._lock:
            data = json.dumps({"outputs": self._on_disk}, indent=1, sort_keys=True) + "\n"
            atomic_write_bytes(self.dist / MANIFEST, data.encode())

    def settle(self) -> None:
        """Wait until the background has written every PDF and Word file of the latest model."""
        self._documents.settle()

    def close(self) -> None:
        """Stop the background work (a layout already running finishes) and free the kept compilers."""
        self._documents.close()
        self._pages.shutdown(wait=True)


def _served(paths) -> list[str]:
    """The URL paths of the pages to update for these rewritten dist paths."""
    paths = list(paths)
    if any(p.startswith(_EVERY_PAGE) for p in paths):
        return ["*"]
    return [f"/{p}" for p in paths if p.endswith(".html")]


class _Documents:
    """One background thread writing each document's PDF, then its Word file (whose contents list shows
    the PDF's page numbers). A newer edit replaces the work not yet started: only the latest model is written."""

    def __init__(self, preview: Preview) -> None:
        self.preview = preview
        self.layouts = KeptLayouts()
        self._pending: tuple[Corpus, dt.datetime, dict[str, Job]] | None = None
        self._wake = threading.Condition()
        self._closing = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="avtal-documents", daemon=True)
        self._thread.start()

    def submit(self, corpus: Corpus, when: dt.datetime, jobs: dict[str, Job]) -> None:
        """Write these jobs (none: only the manifest) after the work running now."""
        with self._wake:
            self._pending = (corpus, when, jobs)
            self._wake.notify_all()

    def _run(self) -> None:
        if sys.platform == "linux":  # this thread (and the pandoc it starts) yields the CPU to the next page
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)
        while True:
            with self._wake:
                while self._pending is None and not self._closing:
                    self._wake.wait()
                if self._closing:
                    return
                corpus, when, jobs = self._pending
                self._pending, self._busy = None, True
            for doc in corpus.documents:
                if self._superseded():
                    break  # a newer model: its jobs include whatever is still out of date here
                pdf, docx = jobs.get(f"{doc.id}.pdf"), jobs.get(f"{doc.id}.docx")
                if pdf or docx:
                    try:
                        self._document(corpus, doc, when, pdf, docx)
                    except Exception as error:  # one document failing must not stop the preview
                        print(f"avtal serve: {doc.id}: PDF/Word not written: {error}", file=sys.stderr)
            self.preview._save_manifest()
            with self._wake:
                self._busy = False
                self._wake.notify_all()

    def settle(self) -> None:
        with self._wake:
            while (self._pending is not None or self._busy) and not self._closing:
                self._wake.wait()

    def _superseded(self) -> bool:
        with self._wake:
            return self._pending is not None or self._closing

    def _document(self, corpus: Corpus, doc: Document, when: dt.datetime, pdf: Job | None, docx: Job | None) -> None:
        pub = document(corpus, doc, when)
        data, pages = self.layouts.laid_out(doc.id, publication.typst_source(pub), when)
        if pdf is not None:
            self.preview.put(pdf.path, pdf.fingerprint, data)
        if docx is not None and not self._superseded():  # else the newer model's Word file comes next
            self.preview.put(docx.path, docx.fingerprint, publication.docx(pub, pages))

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._thread.join(timeout=30)
        if not self._thread.is_alive():
            self.layouts.close()
