"""Traceability from comment to changed clause: `trace`, `avtal check`'s findings, and the annotated redline.

The tree is test_positions' (see its docstring): from remiss-2025 to forslag the clauses
ansvar.region.lakare (2.1.1) and ansvar.kommun (2.2) are reworded and ansvar.region.rehab
(2.1.4) is added; nothing else changes, and munhalsa not at all. Each test writes the positions
it needs; the expected findings follow from those positions and these three changes.
"""

from __future__ import annotations

import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pypdf
import pytest
from lxml import etree

from avtal.cli import main
from avtal.remiss.report.trace import NO_CLAUSES, PARTLY_UNCHANGED, UNCHANGED, UNCOVERED, UNKNOWN_CLAUSE, trace

from ..record.test_positions import AGAINST, HUV, POSITIONS, ROUND, parties

CHANGED = {"ansvar.region.lakare": "changed", "ansvar.kommun": "changed", "ansvar.region.rehab": "new"}
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def write_positions(root: Path, body: str, against: str | None = AGAINST) -> str:
    text = f"round: {ROUND}\n" + (f"against: {against}\n" if against else "") + "positions:\n" + body
    (root / "sources" / POSITIONS).write_text(text, encoding="utf-8")
    return text


CONSISTENT = """\
  - comments: [boras-1, goteborg-1]
    status: beaktad
    reason: Läkarinsatser dygnet runt.
    clauses: [ansvar.region.lakare]
  - comments: [goteborg-3]
    status: delvis beaktad
    reason: Rehabilitering läggs till i kommunens och regionens ansvar.
    clauses: [ansvar.kommun, ansvar.region.rehab]
  - comments: [boras-2, fyrbodal-1, fyrbodal-2, goteborg-2]
    status: noterad
    reason: Arbetsgruppen noterar synpunkterna.
"""


def test_each_comment_is_traced_to_whether_its_clause_changed_with_a_link_to_the_redline(root):
    write_positions(root, CONSISTENT)
    result = trace(root / "sources", ROUND, AGAINST)
    assert (result.version, result.against, result.folder) == (ROUND, AGAINST, f"redline/{ROUND}--{AGAINST}")
    states = {c.comment: c.state for c in result.comments}
    assert states == {"boras-1": "changed", "goteborg-1": "changed", "goteborg-3": "changed",
                      "boras-2": "unchanged", "fyrbodal-1": "unchanged", "fyrbodal-2": "unchanged",
                      "goteborg-2": "general"}
    boras = result.comment("boras-1")
    assert boras.redline == f"redline/{ROUND}--{AGAINST}/huvudavtal.html#ansvar.region.lakare"
    assert result.href(boras.redline) == f"../../redline/{ROUND}--{AGAINST}/huvudavtal.html#ansvar.region.lakare"
    assert boras.kinds == {"changed"} and boras.status == "beaktad"
    assert result.comment("fyrbodal-2").redline is None  # munhalsa did not change: the redline has no page for it
    assert result.comment("goteborg-2").redline is None
    assert {c.id: "new" if "new" in c.kinds else "changed" for c in result.changed} == CHANGED
    assert all(c.covered for c in result.changed)
    assert result.findings == ()
    assert result.redline_command == f"avtal redline {ROUND} {AGAINST}"


def test_a_comment_is_changed_when_a_clause_below_its_clause_changed(root):
    path = root / "sources" / "remiss" / ROUND / "svar" / "goteborg.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("clause: ansvar.kommun", "clause: ansvar"),
                    encoding="utf-8")
    result = trace(root / "sources", ROUND, AGAINST)
    g3 = result.comment("goteborg-3")
    assert g3.state == "changed" and g3.kinds == frozenset()
    assert set(g3.changed_within) == set(CHANGED)


def test_findings_name_unchanged_taken_positions_missing_clauses_and_uncovered_changes(root):
    write_positions(root, """\
  - comments: [boras-1]
    status: beaktad
    reason: Ja.
    clauses: [ansvar.region.lakare, ansvar.region.tandvard]
  - comments: [boras-2]
    status: beaktad
    reason: Tandvården förtydligas.
    clauses: [ansvar.region.tandvard]
  - comments: [goteborg-1]
    status: delvis beaktad
    reason: Delvis.
  - comments: [goteborg-3]
    status: ej beaktad
    reason: Nej.
    clauses: [ansvar.region.hjalpmedel]
""")
    result = trace(root / "sources", ROUND, AGAINST)
    found = sorted((f.kind, f.position, f.clause, f.comments) for f in result.findings)
    assert found == sorted([
        (PARTLY_UNCHANGED, 0, "ansvar.region.tandvard", ("boras-1",)),
        (UNCHANGED, 1, "ansvar.region.tandvard", ("boras-2",)),
        (NO_CLAUSES, 2, None, ("goteborg-1",)),
        (UNCOVERED, None, "ansvar.kommun", ()),
        (UNCOVERED, None, "ansvar.region.rehab", ()),
    ])  # 'ej beaktad' naming an unchanged clause is no claim that the text changed
    assert {f.severity for f in result.findings} == {"warning"}


def test_a_position_naming_an_avsnitt_covers_the_changes_inside_it(root):
    write_positions(root, """\
  - comments: [boras-1]
    status: beaktad
    reason: Regionens ansvar skrivs om.
    clauses: [ansvar.region]
""")
    result = trace(root / "sources", ROUND, AGAINST)
    assert [(f.kind, f.clause) for f in result.findings] == [(UNCOVERED, "ansvar.kommun")]


def test_a_named_clause_in_neither_version_is_an_error_finding(root):
    path = root / "sources" / HUV
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  - id: ansvar\n", "  - id: ny-del\n    title: Ny del\n    text: |\n      Ny text.\n  - id: ansvar\n", 1),
        encoding="utf-8")
    write_positions(root, CONSISTENT.replace("boras-2, fyrbodal-1, fyrbodal-2, goteborg-2", "boras-2, fyrbodal-1, "
                                             "fyrbodal-2") + """\
  - comments: [goteborg-2]
    status: beaktad
    reason: En ny del efter förslaget.
    clauses: [ny-del]
""")
    result = trace(root / "sources", ROUND, AGAINST)
    assert [(f.kind, f.severity, f.clause) for f in result.findings] == [(UNKNOWN_CLAUSE, "error", "ny-del")]


# ---- avtal check ------------------------------------------------------------------------------------

def test_check_lists_the_findings_as_warnings_where_the_positions_are(root, capsys):
    text = write_positions(root, """\
  - comments: [boras-2]
    status: beaktad
    reason: Tandvården förtydligas.
    clauses: [ansvar.region.tandvard]
""")
    assert main(["check"]) == 0
    err = capsys.readouterr().err.splitlines()
    shown = f"sources/{POSITIONS}"
    at = lambda needle: f"{text.count(chr(10), 0, text.index(needle)) + 1}"  # noqa: E731
    assert err[-1] == "0 error(s), 4 warning(s)"
    assert [line.split(": trace to")[0] for line in err[:-1]] == [
        f"{shown}:{at('against')}:10: warning [ansvar.kommun]",
        f"{shown}:{at('against')}:10: warning [ansvar.region.lakare]",
        f"{shown}:{at('against')}:10: warning [ansvar.region.rehab]",
        f"{shown}:{at('clauses')}:14: warning [ansvar.region.tandvard]",
    ]
    assert "clause ansvar.region.rehab (huvudavtal 2.1.4 Rehabilitering) was added between remiss-2025 and " \
           "forslag, but no position names it" in err[2]
    assert "names clause ansvar.region.tandvard (2.1.2), but none changed between remiss-2025 and forslag" in err[3]
    assert main(["check", "--strict"]) == 1


def test_check_is_quiet_when_every_position_is_consistent_and_without_against_it_does_not_trace(root, capsys):
    write_positions(root, CONSISTENT)
    assert main(["check"]) == 0
    assert capsys.readouterr().err == ""
    write_positions(root, CONSISTENT.replace("clauses: [ansvar.kommun, ansvar.region.rehab]", "clauses: []"),
                    against=None)
    assert main(["check"]) == 0
    assert capsys.readouterr().err == ""


def test_check_names_an_against_version_that_is_not_frozen(root, capsys):
    text = write_positions(root, CONSISTENT, against="forslag-2025")
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    line = text.count("\n", 0, text.index("against")) + 1
    assert f"sources/{POSITIONS}:{line}:10: error: 'against: forslag-2025' is not a frozen version (did you mean " \
           "'forslag'?)" in err


def test_the_trace_of_two_frozen_versions_is_cached_and_a_broken_cache_is_rebuilt(root, capsys):
    write_positions(root, CONSISTENT.replace("clauses: [ansvar.kommun, ansvar.region.rehab]", "clauses: []"))
    assert main(["check"]) == 0
    first = capsys.readouterr().err
    assert "names no clauses" in first
    cache = root / ".build-cache" / "remiss"
    files = sorted(p.name.split("-")[0] for p in cache.iterdir())
    assert files == ["trace", "version", "version"]
    for path in cache.iterdir():
        path.write_text("{not json", encoding="utf-8")
    assert main(["check"]) == 0
    assert capsys.readouterr().err == first


# ---- the annotated redline ------------------------------------------------------------------------

class Notes(HTMLParser):
    """Each remiss note of a page with the id of the heading before it (on a changed clause, pandoc puts the
    heading's id on the <section> that marks the change)."""

    def __init__(self):
        super().__init__()
        self.heading, self.notes, self.inside = None, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (re.fullmatch(r"h[1-6]", tag) or tag == "section") and attrs.get("id"):
            self.heading = attrs["id"]
        if tag == "span" and "remiss-note" in (attrs.get("class") or "").split():
            self.inside = True
            self.notes.append([self.heading, ""])

    def handle_endtag(self, tag):
        if tag == "span":
            self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.notes[-1][1] += data


def expected_notes() -> dict[str, str]:
    """CONSISTENT's taken positions on changed clauses, with parties from parter.yaml."""
    names = parties()
    return {
        "ansvar.region.lakare": f"Ändrad efter remissynpunkter från {names['boras']} och {names['goteborg']}.",
        "ansvar.kommun": f"Ändrad efter remissynpunkter från {names['goteborg']}.",
        "ansvar.region.rehab": f"Ändrad efter remissynpunkter från {names['goteborg']}.",
    }


@pytest.fixture
def annotated(root: Path, capsys) -> Path:
    """The redline FROM → TO, annotated automatically because the positions trace to TO."""
    write_positions(root, CONSISTENT)
    assert main(["redline", ROUND, AGAINST]) == 0
    assert f"annotated 3 changed clause(s) with the comments of {ROUND} behind them" in capsys.readouterr().out
    return root / "dist" / "redline" / f"{ROUND}--{AGAINST}"


def test_the_redline_docx_has_a_word_comment_on_each_changed_clause_naming_comments_and_parties(annotated):
    path = annotated / "huvudavtal.docx"
    with zipfile.ZipFile(path) as z:
        comments = etree.fromstring(z.read("word/comments.xml"))
        body = etree.fromstring(z.read("word/document.xml"))
    text = {c.get(f"{{{W}}}id"): "".join(t.text or "" for t in c.iter(f"{{{W}}}t"))
            for c in comments.iter(f"{{{W}}}comment")}
    assert sorted(text.values()) == sorted(expected_notes().values())
    titles = {"ansvar.region.lakare": "Läkarinsatser", "ansvar.kommun": "Kommunens ansvar",
              "ansvar.region.rehab": "Rehabilitering"}
    for p in body.iter(f"{{{W}}}p"):  # each comment is anchored in its clause's heading
        starts = [s.get(f"{{{W}}}id") for s in p.iter(f"{{{W}}}commentRangeStart")]
        words = "".join(t.text or "" for t in p.iter(f"{{{W}}}t"))
        for cid in starts:
            assert any(words.endswith(titles[k]) for k, v in expected_notes().items() if v == text[cid])
    assert sum(1 for _ in body.iter(f"{{{W}}}commentRangeStart")) == 3
    document = docx.Document(str(path))  # opens in a real reader; the notes are no text of the document
    assert not any("Ändrad efter" in p.text for p in document.paragraphs)


def test_the_redline_web_page_and_pdf_show_the_notes_under_their_clauses(annotated):
    page = Notes()
    page.feed((annotated / "huvudavtal.html").read_text(encoding="utf-8"))
    assert {heading: text for heading, text in page.notes} == expected_notes()
    assert not (annotated / "munhalsa.html").exists()
    pdf = " ".join(p.extract_text() for p in pypdf.PdfReader(annotated / "huvudavtal.pdf").pages)
    flat = re.sub(r"\s+", " ", pdf)
    for note in expected_notes().values():
        assert note in flat


def test_an_explicit_round_annotates_a_redline_to_any_version_and_without_positions_nothing_is_added(root, capsys):
    write_positions(root, CONSISTENT, against=None)
    assert main(["redline", ROUND, "working"]) == 0
    assert "annotated" not in capsys.readouterr().out
    assert main(["redline", ROUND, "working", "--round", ROUND]) == 0
    assert "annotated 3 changed clause(s)" in capsys.readouterr().out
    page = Notes()
    page.feed((root / "dist" / "redline" / f"{ROUND}--working" / "huvudavtal.html").read_text(encoding="utf-8"))
    assert dict(page.notes) == expected_notes()
