"""Fixtures for the render tests: one real build of the real sources per session, and real clients.

The outputs are opened with real readers (python-docx, pandoc's docx reader,
LibreOffice, pypdf/pikepdf, Chromium). Expected values come from the model
(the Corpus) and from domain facts, never from the renderer under test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from avtal.model import Corpus, load
from avtal.model.text import TermUse, block_inlines, walk_inlines
from avtal.render.build import BuildReport, build

from ..clients import Chromium, require_client  # noqa: F401  (re-exported for the other test folders)

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "sources"

GLOSSARY_HEADING = "Bilaga. Termer och begrepp"
MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december"]


def run_build(corpus: Corpus, dist: Path, epoch: str | None = None, jobs: int | None = None) -> BuildReport:
    """Build with SOURCE_DATE_EPOCH set to `epoch`, or unset when None (with `jobs` layout threads)."""
    with pytest.MonkeyPatch.context() as patch:
        if epoch is None:
            patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        else:
            patch.setenv("SOURCE_DATE_EPOCH", epoch)
        return build(corpus, dist, jobs=jobs)


def load_corpus(sources: Path, root: Path) -> Corpus:
    corpus, problems = load(sources, root=root)
    assert corpus is not None, "\n".join(map(str, problems))
    return corpus


def long_date(day) -> str:
    """A date as Swedish prose: '30 januari 2025'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def used_term_ids(corpus: Corpus, doc) -> set[str]:
    """Terms a document uses, plus the terms their definitions use (computed here from the model)."""
    ids = {n.term for run in doc.runs() for n in walk_inlines(run) if isinstance(n, TermUse)}
    grew = True
    while grew:
        more = {n.term for term_id in ids for run in block_inlines(corpus.term(term_id).definition)
                for n in walk_inlines(run) if isinstance(n, TermUse)}
        grew = not more <= ids
        ids |= more
    return ids


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return load_corpus(SOURCES, ROOT)


@pytest.fixture(scope="session")
def dist(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sources built once into a temporary dist/ (SOURCE_DATE_EPOCH unset)."""
    folder = tmp_path_factory.mktemp("dist")
    report = run_build(corpus, folder)
    assert report.built and not report.unchanged
    return folder


DOCUMENTS = yaml.safe_load((SOURCES / "avtal.yaml").read_text(encoding="utf-8"))["documents"]


@pytest.fixture(params=DOCUMENTS)
def doc(request: pytest.FixtureRequest, corpus: Corpus):
    """Each of the five documents in turn."""
    return corpus.document(request.param)


# ---- LibreOffice ----------------------------------------------------------

@pytest.fixture(scope="session")
def libreoffice_pdfs(dist: Path, corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every Word file converted to PDF by LibreOffice, all in one soffice call (own profile)."""
    soffice = require_client("soffice")
    work = tmp_path_factory.mktemp("libreoffice")
    out = work / "out"
    files = [str(dist / f"{d.id}.docx") for d in corpus.documents]
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(out), *files],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, f"soffice failed ({result.returncode}): {result.stderr}"
    return {d.id: out / f"{d.id}.pdf" for d in corpus.documents}


# ---- Chromium -------------------------------------------------------------

@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Chromium:
    return Chromium(require_client("chromium"), tmp_path_factory.mktemp("chromium"))
