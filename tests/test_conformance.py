"""The sample round's real outputs, judged by the recipients' programs and independent validators.

One build of everything `make` and `make pack` write — the five documents, the
redline remiss-2025 → forslag-2025-08 and its ändringsförteckning, the
remissammanställning, the positions workbook and one party's package (missiv,
svarsformulär, documents) — then: openxml-audit (Office 2019 rules) on every
.docx/.xlsx, veraPDF (PDF/UA-1 and PDF/A-2b) on every PDF, and LibreOffice
itself accepting and rejecting every tracked change of each redline.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from avtal.cli import main
from avtal.model.versions import load_version
from avtal.render.build import build_time
from avtal.render.docx import render_docx

from .clients import libreoffice_tracked, openxml_errors, verapdf
from .conftest import SOURCES

pytestmark = pytest.mark.client

ROUND, FROM, TO = "remiss-2025", "remiss-2025", "forslag-2025-08"
PARTY = "ale"
FORM = "Svarsformulär"


@dataclass
class Outputs:
    dist: Path

    @property
    def redline(self) -> Path:
        return self.dist / "redline" / f"{FROM}--{TO}"

    @property
    def round(self) -> Path:
        return self.dist / "remiss" / ROUND

    def files(self, ext: str) -> list[Path]:
        """Every file of one kind the tool wrote: documents, redline, report, workbook, one party's package."""
        found = [*self.dist.glob(f"*.{ext}"), *self.redline.glob(f"*.{ext}"), *self.round.glob(f"*.{ext}"),
                 *(self.round / PARTY).glob(f"*.{ext}")]
        return sorted(found)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    dist = tmp_path_factory.mktemp("sample") / "dist"
    for args in (["build"], ["redline", FROM, TO], ["remiss", "report", ROUND, "--against", TO],
                 ["remiss", "pack", ROUND]):
        assert main([*args, "--dist", str(dist)]) == 0, args
    assert main(["remiss", "export", ROUND, "--output", str(dist / "remiss" / ROUND / "stallningstaganden.xlsx")]) == 0
    return Outputs(dist)


# ---- openxml-audit ----------------------------------------------------------------

def test_every_kind_of_word_and_excel_file_is_among_those_checked(outputs):
    names = {p.name for p in outputs.files("docx") + outputs.files("xlsx")}
    assert {"huvudavtal.docx", "andringsforteckning.docx", "remissammanstallning.docx", "remissammanstallning.xlsx",
            "stallningstaganden.xlsx"} <= names
    assert any(n.startswith("Missiv") for n in names) and any(n.startswith(FORM) for n in names)
    assert len(list(outputs.redline.glob("*.docx"))) == 6  # five documents changed, and the ändringsförteckning


def test_every_word_and_excel_file_has_no_openxml_audit_errors(outputs):
    errors = {str(p.relative_to(outputs.dist)): openxml_errors(p) for p in outputs.files("docx") + outputs.files("xlsx")}
    assert len(errors) >= 20
    assert {name: found for name, found in errors.items() if found} == {}


# ---- veraPDF ------------------------------------------------------------------------

def test_every_pdf_passes_pdf_ua_1_and_pdf_a_2b(outputs):
    pdfs = outputs.files("pdf")
    names = {p.name for p in pdfs}
    assert {"huvudavtal.pdf", "andringsforteckning.pdf", "remissammanstallning.pdf"} <= names
    assert any(n.startswith("Missiv") for n in names)
    assert len(list(outputs.redline.glob("*.pdf"))) == 6
    verdicts = verapdf(pdfs, "ua1,2b")
    assert {f"{Path(path).name} ({flavour})": failed for (path, flavour), failed in verdicts.items() if failed} == {}


# ---- LibreOffice: accept all, reject all ----------------------------------------------

_NUMBER = re.compile(r"^\d+(\.\d+)*[.,;:)]?$")


def body_words(text: str) -> list[str]:
    """The words after the table of contents (title page and contents are not tracked: they show TO)."""
    lines = text.splitlines()
    start = lines.index("Innehåll")
    end = next(i for i in range(start, len(lines)) if not lines[i].strip())
    return " ".join(lines[end:]).split()


def lost(expected: list[str], got: list[str]) -> Counter:
    """Words of `expected` that `got` lacks (as a multiset)."""
    return Counter(expected) - Counter(got)


@pytest.fixture(scope="module")
def libreoffice(outputs, tmp_path_factory: pytest.TempPathFactory):
    return libreoffice_texts(outputs, tmp_path_factory.mktemp("libreoffice"))


def libreoffice_texts(outputs: Outputs, work: Path):
    """LibreOffice's texts of each redline and of the ordinary Word files of FROM and TO (written into `work`)."""
    redlines = sorted(p for p in outputs.redline.glob("*.docx") if p.stem != "andringsforteckning")
    plain: dict[tuple[str, str], Path] = {}
    for name in (FROM, TO):
        corpus, _ = load_version(SOURCES, name)
        for doc in corpus.documents:
            path = work / name / f"{doc.id}.docx"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(render_docx(corpus, doc, build_time(corpus)))
            plain[(name, doc.id)] = path.resolve()
    texts = libreoffice_tracked([*redlines, *plain.values()], work)
    return redlines, plain, texts


def test_libreoffice_finds_tracked_changes_in_every_redline(libreoffice):
    redlines, _, texts = libreoffice
    assert len(redlines) == 5
    assert all(texts[p.resolve()]["changes"] > 0 for p in redlines)


def test_libreoffice_accept_all_gives_the_to_text_word_for_word(libreoffice):
    redlines, plain, texts = libreoffice
    for path in redlines:
        got = body_words(texts[path.resolve()]["accept"])
        want = body_words(texts[plain[(TO, path.stem)]]["accept"])
        assert lost(want, got) == Counter(), f"words lost in LibreOffice: {path.name}"
        assert got == want, path.name


def test_libreoffice_reject_all_gives_the_from_text_except_numbers_and_moved_clauses(libreoffice):
    """By design (README): rejected, a remaining clause keeps its new number and a moved clause its new place."""
    redlines, plain, texts = libreoffice
    for path in redlines:
        got = [w for w in body_words(texts[path.resolve()]["reject"]) if not _NUMBER.match(w)]
        want = [w for w in body_words(texts[plain[(FROM, path.stem)]]["accept"]) if not _NUMBER.match(w)]
        assert lost(want, got) == Counter(), f"words lost in LibreOffice: {path.name}"
        assert Counter(got) == Counter(want), path.name


def test_the_inserted_link_text_of_huvudavtal_4_3_survives_accept_all(libreoffice):
    """The case the issue found: a term link inside an insertion, dropped by LibreOffice when nested wrongly."""
    redlines, _, texts = libreoffice
    (path,) = [p for p in redlines if p.stem == "huvudavtal"]
    accepted = texts[path.resolve()]["accept"]
    assert "till exempel bedömningsstödet för vård i hemmet, rutiner för egenvård" in accepted
    assert "bedömningsinstrumentet för vård i hemmet" in texts[path.resolve()]["reject"]
