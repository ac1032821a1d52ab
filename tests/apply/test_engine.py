"""`avtal apply` round trips on real files: a distributed Word file, edited the way Word (or LibreOffice)
saves edits, applied to a copy of the sources; the redline from the version the file was made from to the
working sources then shows exactly those edits, and `avtal check --strict` passes."""

from __future__ import annotations

import datetime as dt
import difflib
import shutil
from pathlib import Path

import pytest

from avtal.cli import main
from avtal.model.text import block_inlines
from avtal.model.versions import load_version
from avtal.redline.diff import compare
from avtal.render.docx import render_docx
from avtal.render.wording import clause_text, plain
from tests.apply.wordedit import WHEN, edit_untracked
from tests.clients import require_client
from tests.remiss.crafted import XXE_PASSWD, Member, docx_members, raw_zip
from tests.remiss.forms import libreoffice_resave
from tests.remiss.wordlike import Move, annotate_draft

REPO_SOURCES = Path(__file__).resolve().parents[2] / "sources"
BASE = "t-base"
DOC = "munhalsa"


@pytest.fixture(scope="module")
def frozen(tmp_path_factory) -> Path:
    """The repository's sources copied, frozen as t-base, and the munhalsa Word file made from t-base."""
    root = tmp_path_factory.mktemp("apply")
    shutil.copytree(REPO_SOURCES, root / "sources")
    assert main(["--sources", str(root / "sources"), "freeze", BASE, "--date", "2025-09-01",
                 "--status", "förslag"]) == 0
    corpus, name = load_version(root / "sources", BASE)
    (root / f"{DOC}.docx").write_bytes(render_docx(corpus, corpus.document(DOC), dt.datetime(2025, 9, 1),
                                                    version=name))
    return root


class Setup:
    """A fresh copy of the frozen tree for one test, and what it takes to check a round trip."""

    def __init__(self, frozen: Path, tmp: Path):
        shutil.copytree(frozen, tmp, dirs_exist_ok=True)
        self.root = tmp
        self.sources = tmp / "sources"
        self.docx = tmp / f"{DOC}.docx"
        self.yaml = self.sources / "documents" / f"{DOC}.yaml"
        self.before = self.yaml.read_text(encoding="utf-8")
        self.old, _ = load_version(self.sources, BASE)

    def tracked(self, **edits) -> Path:
        return annotate_draft(self.docx, self.root / "tracked.docx", author="Anna Berg", date=WHEN, **edits)

    def untracked(self, src: Path | None = None, **edits) -> Path:
        return edit_untracked(src or self.docx, self.root / "untracked.docx", **edits)

    def apply(self, path: Path, *flags: str) -> int:
        return main(["--sources", str(self.sources), "apply", str(path), *flags])

    def redline(self) -> dict[str, frozenset[str]]:
        """Clause id -> kinds of change, from t-base to the working sources."""
        new, _ = load_version(self.sources, "working")
        changes = compare(self.old, new, BASE, "working")
        return {c.id: c.kinds for d in changes.documents for c in d.changes}

    def text(self, clause: str) -> str:
        new, _ = load_version(self.sources, "working")
        return clause_text(new, new.clause(clause))

    def old_text(self, clause: str) -> str:
        return clause_text(self.old, self.old.clause(clause))

    def source(self) -> str:
        return self.yaml.read_text(encoding="utf-8")

    def changed_lines_within(self, *clauses: str) -> None:
        """`git diff` of the document shows only lines of the given clauses' own YAML."""
        lines = self.before.splitlines()
        spans = []
        for clause in clauses:
            start = next(i for i, line in enumerate(lines) if line.strip() == f"- id: {clause}")
            indent = len(lines[start]) - len(lines[start].lstrip())
            end = next((i for i in range(start + 1, len(lines))
                        if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) <= indent), len(lines))
            spans.append((start, end))
        matcher = difflib.SequenceMatcher(None, lines, self.source().splitlines(), autojunk=False)
        for op, i1, i2, _, _ in matcher.get_opcodes():
            if op != "equal":
                assert any(a <= i1 and i2 <= b for a, b in spans), f"edit outside {clauses}: lines {i1 + 1}-{i2}"

    def strict_check(self) -> None:
        assert main(["--sources", str(self.sources), "check", "--strict"]) == 0


@pytest.fixture
def setup(frozen: Path, tmp_path: Path) -> Setup:
    return Setup(frozen, tmp_path)


def roundtrip(s: Setup, path: Path, expected: dict[str, str], kinds: str = "changed") -> None:
    """Apply, then: the redline shows exactly `expected`'s clauses, each reading as expected; check passes."""
    assert s.apply(path, "--accept-all") == 0
    assert s.redline() == {clause: frozenset({kinds}) for clause in expected}
    for clause, text in expected.items():
        assert s.text(clause) == text
    s.changed_lines_within(*expected)
    s.strict_check()


# ---- edit kinds --------------------------------------------------------------

def test_word_change_inside_a_term_use_keeps_the_term(setup: Setup):
    path = setup.tracked(replacements=[("mun.palliativ", "palliativa vården", "palliativa vårdens")])
    roundtrip(setup, path, {"mun.palliativ": setup.old_text("mun.palliativ").replace(
        "den palliativa vården.", "den palliativa vårdens.")})
    assert "{term:palliativ-vard|den palliativa vårdens}" in setup.source()


def test_a_new_sentence_with_a_typed_cross_reference_becomes_a_ref(setup: Setup):
    label = setup.old.clause("mun.utbildning").label
    path = setup.tracked(insertions=[("mun.palliativ", "påverkar välbefinnandet i hög grad.",
                                      f" Se även avsnitt {label}.")])
    roundtrip(setup, path, {"mun.palliativ": setup.old_text("mun.palliativ").replace(
        "i hög grad.", f"i hög grad. Se även avsnitt {label}.")})
    assert "påverkar välbefinnandet i hög grad. Se även {ref:mun.utbildning}." in setup.source()


def test_a_deleted_list_item(setup: Setup):
    item = "nödvändig tandvård erbjuds dem som har intyg,"
    path = setup.tracked(deletions=[("mun.ansvar.regionen", item)])
    roundtrip(setup, path, {"mun.ansvar.regionen": setup.old_text("mun.ansvar.regionen").replace(f" {item}", "")})
    assert item not in setup.source()


def test_a_changed_table_cell(setup: Setup):
    path = setup.tracked(replacements=[("mun.ansvar", "Ger råd och instruktion", "Ger råd, stöd och instruktion")])
    roundtrip(setup, path, {"mun.ansvar": setup.old_text("mun.ansvar").replace(
        "Ger råd och instruktion", "Ger råd, stöd och instruktion")})
    assert '- ["Daglig munvård", "Ger råd, stöd och instruktion", "Ansvarar och utför"]' in setup.source()


def test_a_new_table_row(setup: Setup):
    row = ["Uppföljning", "Sammanställer", "Rapporterar avvikelser"]
    path = setup.untracked(new_rows=[("mun.ansvar", "Utbildning i munvård", row)])
    roundtrip(setup, path, {"mun.ansvar": setup.old_text("mun.ansvar") + " " + " ".join(row)})
    assert '        - ["Uppföljning", "Sammanställer", "Rapporterar avvikelser"]\n' in setup.source()


def test_a_changed_table_caption_and_header(setup: Setup):
    path = setup.tracked(replacements=[("mun.ansvar", "Ansvarsfördelning för", "Ansvar för"),
                                       ("mun.ansvar", "Insats", "Insatser")])
    assert setup.apply(path, "--accept-all") == 0
    assert setup.redline() == {"mun.ansvar": frozenset({"changed"})}
    table = load_version(setup.sources, "working")[0].clause("mun.ansvar").table
    assert (table.caption, table.header) == ("Ansvar för munhälsa", ("Insatser", "Regionen", "Kommunen"))
    assert "      caption: Ansvar för munhälsa\n      header: [Insatser, Regionen, Kommunen]\n" in setup.source()
    setup.changed_lines_within("mun.ansvar")
    setup.strict_check()


def test_a_changed_title(setup: Setup):
    path = setup.tracked(replacements=[("mun.utbildning", "av omsorgspersonal", "för omsorgspersonal")])
    assert setup.apply(path, "--accept-all") == 0
    assert setup.redline() == {"mun.utbildning": frozenset({"changed"})}
    new, _ = load_version(setup.sources, "working")
    assert new.clause("mun.utbildning").title == "Utbildning för omsorgspersonal"
    assert "    title: Utbildning för omsorgspersonal\n" in setup.source()
    setup.changed_lines_within("mun.utbildning")
    setup.strict_check()


def test_a_heading_typed_over_is_known_by_its_number(setup: Setup):
    clause = setup.old.clause("mun.munvard.daglig")
    path = setup.untracked(retyped_headings=[("mun.munvard.daglig", f"{clause.label} Munvård varje dag")])
    assert setup.apply(path, "--accept-all") == 0
    assert setup.redline() == {"mun.munvard.daglig": frozenset({"changed"})}
    assert load_version(setup.sources, "working")[0].clause("mun.munvard.daglig").title == "Munvård varje dag"
    setup.changed_lines_within("mun.munvard.daglig")
    setup.strict_check()


def test_a_moved_paragraph_keeps_its_markers(setup: Setup):
    second = "Kommunen ansvarar för att munvården anpassas"
    path = setup.untracked(moved_paragraphs=[("mun.palliativ", second, "mun.palliativ", "Munvården är en central")])
    assert setup.apply(path, "--accept-all") == 0
    assert setup.redline() == {"mun.palliativ": frozenset({"changed"})}
    old, new = setup.old.clause("mun.palliativ"), load_version(setup.sources, "working")[0].clause("mun.palliativ")
    assert new.body == (old.body[1], old.body[0])  # the same paragraphs, markers and all, swapped
    setup.changed_lines_within("mun.palliativ")
    setup.strict_check()


def test_a_sentence_moved_with_words_move_markup(setup: Setup):
    sentence = " Behandling i livets slutskede ska begränsas till det som ökar den enskildes välbefinnande."
    path = setup.tracked(moves=[Move("mun.palliativ", sentence, "mun.palliativ", "påverkar välbefinnandet i hög grad.")])
    old = setup.old_text("mun.palliativ")
    roundtrip(setup, path, {"mun.palliativ": old.replace(sentence, "").replace("i hög grad.", "i hög grad." + sentence)})


def test_a_paragraph_split_in_two_keeps_the_markers_of_both_halves(setup: Setup):
    path = setup.untracked(split_after=[("mun.palliativ", "med målet att munnen ska vara fuktig, ren och smärtfri.")])
    roundtrip(setup, path, {"mun.palliativ": setup.old_text("mun.palliativ")})  # same words, one more paragraph
    new, _ = load_version(setup.sources, "working")
    assert len(new.clause("mun.palliativ").body) == len(setup.old.clause("mun.palliativ").body) + 1
    assert "{ref:mun.munvard.daglig}" in setup.source()


def test_two_paragraphs_joined_keep_the_markers_of_both(setup: Setup):
    path = setup.untracked(joined=[("mun.palliativ", "Munvården är en central del")])
    roundtrip(setup, path, {"mun.palliativ": setup.old_text("mun.palliativ")})
    new, _ = load_version(setup.sources, "working")
    assert len(new.clause("mun.palliativ").body) == len(setup.old.clause("mun.palliativ").body) - 1
    assert "{term:palliativ-vard|den palliativa vården}" in setup.source() and "{ref:mun.munvard.daglig}" in setup.source()


def test_a_clause_edited_in_word_and_in_the_sources_is_a_conflict(setup: Setup, capsys):
    path = setup.tracked(replacements=[("mun.palliativ", "muntorrhet", "torr mun")])
    edited = setup.before.replace("är vanliga i livets slutskede", "är mycket vanliga i livets slutskede")
    setup.yaml.write_text(edited, encoding="utf-8")
    assert setup.apply(path, "--accept-all") == 1
    out = capsys.readouterr().out
    assert "CONFLICT avsnitt" in out and "(mun.palliativ)" in out
    assert "såsom muntorrhet, svampinfektioner" in out  # the version's text
    assert "är mycket vanliga i livets slutskede" in out  # the sources' text
    assert "såsom torr mun, svampinfektioner" in out  # the Word file's text
    assert setup.source() == edited


def test_a_file_with_untracked_edits_only(setup: Setup):
    path = setup.untracked(replacements=[("mun.palliativ", "snabbt ge behandling", "utan dröjsmål ge behandling")])
    roundtrip(setup, path, {"mun.palliativ": setup.old_text("mun.palliativ").replace(
        "snabbt ge behandling", "utan dröjsmål ge behandling")})
    assert "{ref:mun.munvard.daglig}" in setup.source() and "{term:palliativ-vard|den palliativa vården}" in setup.source()


def test_a_file_with_tracked_and_untracked_edits(setup: Setup, capsys):
    first = setup.untracked(replacements=[("mun.bakgrund", "tala och delta socialt", "tala, le och delta socialt")])
    path = annotate_draft(first, setup.root / "both.docx", author="Anna Berg", date=WHEN,
                          replacements=[("mun.ansvar", "Erbjuder kostnadsfri utbildning", "Erbjuder utbildning")])
    roundtrip(setup, path, {
        "mun.bakgrund": setup.old_text("mun.bakgrund").replace("tala och delta", "tala, le och delta"),
        "mun.ansvar": setup.old_text("mun.ansvar").replace("Erbjuder kostnadsfri utbildning", "Erbjuder utbildning"),
    })
    capsys.readouterr()
    assert main(["--sources", str(setup.sources), "redline", BASE, "working", "--dist", str(setup.root / "dist")]) == 0
    printed = capsys.readouterr().out.splitlines()  # what `avtal redline FROM working` says changed: these two only
    assert [line for line in printed if not line.startswith("wrote ")] == [f"{DOC}: 2 changed"]


def test_a_new_paragraph_inside_a_clause(setup: Setup):
    path = setup.tracked(new_paragraphs=[("mun.bakgrund", "grundläggande omvårdnaden.",
                                          "Munhälsan följs upp i den gemensamma uppföljningen.")])
    roundtrip(setup, path, {"mun.bakgrund": setup.old_text("mun.bakgrund")
                            + " Munhälsan följs upp i den gemensamma uppföljningen."})
    assert "\n\n          Munhälsan följs upp i den gemensamma uppföljningen.\n" in setup.source()


def test_a_new_list_item(setup: Setup):
    path = setup.tracked(new_paragraphs=[("mun.ansvar.kommunen", "deltar i den utbildning",
                                          "munvårdsombud utses på varje enhet.")])
    roundtrip(setup, path, {"mun.ansvar.kommunen": setup.old_text("mun.ansvar.kommunen")
                            + " munvårdsombud utses på varje enhet."})
    assert "          - munvårdsombud utses på varje enhet.\n" in setup.source()


def test_a_deleted_paragraph(setup: Setup):
    first = setup.old_text("mun.palliativ").split(" Kommunen ansvarar")[0]
    path = setup.tracked(deletions=[("mun.palliativ", first)])
    roundtrip(setup, path, {"mun.palliativ": setup.old_text("mun.palliativ")[len(first) + 1:]})


def test_a_deleted_table_row(setup: Setup):
    path = setup.untracked(deleted_rows=[("mun.ansvar", "Utbildning i munvård")])
    roundtrip(setup, path, {"mun.ansvar": setup.old_text("mun.ansvar").replace(
        " Utbildning i munvård Erbjuder kostnadsfri utbildning Ser till att personalen deltar", "")})


def test_a_changed_reference_number_points_at_the_clause_with_that_number(setup: Setup):
    old_label, new_label = (setup.old.clause(c).label for c in ("mun.munvard.daglig", "mun.munvard.uppmarksamhet"))
    path = setup.tracked(replacements=[("mun.palliativ", f"avsnitt {old_label}", f"avsnitt {new_label}")])
    roundtrip(setup, path, {"mun.palliativ": setup.old_text("mun.palliativ").replace(
        f"avsnitt {old_label}", f"avsnitt {new_label}")})
    assert "{ref:mun.munvard.uppmarksamhet}" in setup.source()


def test_a_term_replaced_by_another_word_becomes_plain_text_with_a_note(setup: Setup, capsys):
    path = setup.tracked(replacements=[("mun.palliativ", "den palliativa vården", "vården i livets slut")])
    roundtrip(setup, path, {"mun.palliativ": setup.old_text("mun.palliativ").replace(
        "den palliativa vården", "vården i livets slut")})
    assert "which is written as plain text" in capsys.readouterr().out
    assert "{term:palliativ-vard" not in setup.source().split("id: mun.palliativ")[1].split("- id:")[0]


@pytest.mark.client
def test_a_file_re_saved_by_libreoffice(setup: Setup):
    soffice = require_client("soffice")
    path = setup.tracked(replacements=[("mun.palliativ", "muntorrhet", "torr mun"),
                                       ("mun.ansvar", "Ger råd och instruktion", "Ger råd och stöd")])
    saved = libreoffice_resave([path], setup.root / "lo", soffice)[0]
    roundtrip(setup, saved, {
        "mun.palliativ": setup.old_text("mun.palliativ").replace("muntorrhet", "torr mun"),
        "mun.ansvar": setup.old_text("mun.ansvar").replace("Ger råd och instruktion", "Ger råd och stöd"),
    })


@pytest.mark.client
def test_untracked_edits_re_saved_by_libreoffice(setup: Setup):
    soffice = require_client("soffice")
    path = setup.untracked(replacements=[("mun.bakgrund", "smärta, infektioner", "smärta, svåra infektioner")])
    saved = libreoffice_resave([path], setup.root / "lo", soffice)[0]
    roundtrip(setup, saved, {"mun.bakgrund": setup.old_text("mun.bakgrund").replace(
        "smärta, infektioner", "smärta, svåra infektioner")})


# ---- what is not applied, and how the tool says so -----------------------------------

def test_edits_the_sources_would_not_load_with_are_not_written(setup: Setup, capsys):
    path = setup.tracked(insertions=[("mun.palliativ", "i hög grad.", " Se {ref:finns-inte}.")])
    assert setup.apply(path, "--accept-all") == 1
    err = capsys.readouterr().err
    assert "finns-inte" in err and "nothing written: with these edits the sources would not load" in err
    assert setup.source() == setup.before


def test_a_deleted_clause_is_refused_and_names_who_refers_to_it(setup: Setup, capsys):
    clause = setup.old.clause("mun.munvard.daglig")
    paragraphs = [plain(setup.old, DOC, inlines) for inlines in block_inlines(clause.body)]
    heading = f"{clause.label} {clause.title}"
    path = setup.tracked(deletions=[("mun.munvard.daglig", text) for text in [heading, *paragraphs]])
    assert setup.apply(path, "--accept-all") == 1
    out = capsys.readouterr().out
    assert "NOT APPLIED" in out and "deleting a clause is applied only when asked" in out
    assert "mun.palliativ" in out  # it refers to the clause
    assert setup.source() == setup.before
    assert setup.apply(path, "--accept-all", "--delete", "mun.munvard.daglig") == 1  # asked, but still referred to
    out = capsys.readouterr().out
    assert "(1 clause(s) refer to it: mun.palliativ): change those references first" in out
    assert setup.source() == setup.before


def test_a_deleted_clause_is_deleted_when_asked(setup: Setup, capsys):
    clause = setup.old.clause("mun.munvard.sjalvbestammande")
    paragraphs = [plain(setup.old, DOC, inlines) for inlines in block_inlines(clause.body)]
    path = setup.tracked(deletions=[(clause.id, text) for text in [f"{clause.label} {clause.title}", *paragraphs]])
    assert setup.apply(path, "--accept-all", "--delete", clause.id) == 0
    assert f"deleted avsnitt {clause.label} {clause.title} ({clause.id})" in capsys.readouterr().out
    assert setup.redline() == {clause.id: frozenset({"deleted"})}
    assert f"id: {clause.id}" not in setup.source()
    setup.changed_lines_within(clause.id)
    setup.strict_check()


def _deleted_in_word(setup: Setup, *clause_ids: str) -> Path:
    """The Word file with the headings and paragraphs of these clauses deleted (tracked)."""
    deletions = []
    for clause_id in clause_ids:
        clause = setup.old.clause(clause_id)
        deletions += [(clause_id, text) for text in [f"{clause.label} {clause.title}",
                                                     *(plain(setup.old, DOC, i) for i in block_inlines(clause.body))]]
    return setup.tracked(deletions=deletions)


def test_a_clause_deleted_with_its_sub_clauses_when_asked(setup: Setup, capsys):
    path = _deleted_in_word(setup, "mun.giltighet", "mun.giltighet.avtalstid", "mun.giltighet.andringar")
    assert setup.apply(path, "--accept-all", "--delete", "mun.giltighet") == 0
    out = capsys.readouterr().out
    assert "with the clauses under it: mun.giltighet.andringar, mun.giltighet.avtalstid" in out
    assert setup.redline() == {c: frozenset({"deleted"}) for c in
                               ("mun.giltighet", "mun.giltighet.avtalstid", "mun.giltighet.andringar")}
    setup.changed_lines_within("mun.giltighet")
    setup.strict_check()


def test_a_deleted_clause_whose_sub_clauses_stay_is_refused(setup: Setup, capsys):
    path = _deleted_in_word(setup, "mun.giltighet")
    assert setup.apply(path, "--accept-all", "--delete", "mun.giltighet") == 1
    assert ("its heading was deleted in Word, but not the clauses under it (mun.giltighet.andringar, "
            "mun.giltighet.avtalstid): moving clauses is not applied automatically") in capsys.readouterr().out
    assert setup.source() == setup.before


def _move_clause_before(src: Path, out: Path, moving: str, before: str) -> Path:
    """Cut a clause (heading with its bookmark, and its text) and paste it before another clause's heading."""
    import docx
    from docx.oxml.ns import qn

    from avtal.render.ooxml import bookmark_name

    document = docx.Document(str(src))
    body = document.element.body
    starts = {}
    for mark in body.iter(qn("w:bookmarkStart")):
        top = mark
        while top.getparent() is not body:
            top = top.getparent()
        starts.setdefault(mark.get(qn("w:name")), top)
    tops = list(body)
    first = tops.index(starts[bookmark_name(moving)])
    end = min((tops.index(t) for t in starts.values() if tops.index(t) > first), default=len(tops) - 1)
    anchor = starts[bookmark_name(before)]
    for element in tops[first:end]:
        anchor.addprevious(element)
    document.save(str(out))
    return out


def test_a_clause_moved_in_word_is_refused_not_lost(setup: Setup, capsys):
    """Cut and paste of a whole clause: its place is not applied (exit 1, said), the edit to its text is."""
    moving, first = setup.old.clause("mun.giltighet.andringar"), setup.old.clause("mun.giltighet.avtalstid")
    edited = setup.untracked(replacements=[(moving.id, "skyndsamt", "snarast")])
    path = _move_clause_before(edited, setup.root / "moved.docx", moving.id, first.id)
    assert setup.apply(path, "--accept-all") == 1
    out = capsys.readouterr().out
    assert (f"NOT APPLIED avsnitt {moving.label} {moving.title} ({moving.id}): the clause was moved in Word (it now "
            f"comes after avsnitt {setup.old.clause('mun.giltighet').label}): moving a clause is not applied "
            "automatically; move it in the YAML (edits to its text are applied)") in out
    assert f"({first.id})" not in out  # the clauses that kept their order are not said to have moved
    assert setup.redline() == {moving.id: frozenset({"changed"})}  # its text edit, in its old place
    assert "snarast ta ställning" in setup.source()


def test_delete_names_a_clause_the_word_file_still_has(setup: Setup, capsys):
    path = setup.tracked(replacements=[("mun.palliativ", "muntorrhet", "torr mun")])
    assert setup.apply(path, "--accept-all", "--delete", "mun.utbildning") == 1
    assert "named by --delete, but the clause is still in the Word file: not deleted" in capsys.readouterr().out
    assert setup.apply(path, "--delete", "mun.finns-inte") == 1
    assert "--delete mun.finns-inte: not a clause of munhalsa in version t-base" in capsys.readouterr().err


def test_a_deleted_heading_with_its_text_kept_is_refused(setup: Setup, capsys):
    clause = setup.old.clause("mun.munvard.daglig")
    path = setup.tracked(deletions=[("mun.munvard.daglig", f"{clause.label} {clause.title}")])
    assert setup.apply(path, "--accept-all") == 1
    assert "its heading was deleted but not its text: merging clauses is not applied" in capsys.readouterr().out
    assert setup.source() == setup.before


def test_an_emptied_heading_is_refused(setup: Setup, capsys):
    path = setup.tracked(deletions=[("mun.munvard.daglig", setup.old.clause("mun.munvard.daglig").title)])
    assert setup.apply(path, "--accept-all") == 1
    assert "its heading was emptied in Word" in capsys.readouterr().out
    assert setup.source() == setup.before


def test_a_new_heading_is_refused(setup: Setup, capsys):
    path = setup.tracked(new_paragraphs=[("mun.palliativ", "Munvård och tandvård i palliativ vård", "Ny rubrik")])
    # the new paragraph copies the heading's style: Word's way of typing a new heading
    assert setup.apply(path, "--accept-all") == 1
    out = capsys.readouterr().out
    assert "a new heading “Ny rubrik” was added" in out and "needs an id" in out
    assert setup.source() == setup.before


def test_an_edit_in_the_preamble(setup: Setup):
    first = plain(setup.old, DOC, setup.old.document(DOC).preamble[0].inlines)
    words = first.split()
    path = setup.tracked(replacements=[(None, " ".join(words[:3]), " ".join([*words[:2], "sluts"]))])
    assert setup.apply(path, "--accept-all") == 0
    new, _ = load_version(setup.sources, "working")
    changes = compare(setup.old, new, BASE, "working")
    assert [(d.id, d.preamble_changed, d.changes) for d in changes.documents if d.touched] == [(DOC, True, [])]
    assert plain(new, DOC, new.document(DOC).preamble[0].inlines) == first.replace(
        " ".join(words[:3]), " ".join([*words[:2], "sluts"]), 1)
    assert "{doc:huvudavtal}" in setup.source().split("sections:")[0]  # the markers around the edit stay
    lines = setup.before.splitlines()
    matcher = difflib.SequenceMatcher(None, lines, setup.source().splitlines(), autojunk=False)
    end = lines.index("sections:")
    assert all(i2 <= end for op, i1, i2, _, _ in matcher.get_opcodes() if op != "equal")
    setup.strict_check()


def test_an_edit_on_the_title_page_is_refused(setup: Setup, capsys):
    title = setup.old.document(DOC).source.title
    path = setup.tracked(replacements=[(None, title, title + " 2027")])
    assert setup.apply(path, "--accept-all") == 1
    assert "NOT APPLIED the title page or contents" in capsys.readouterr().out
    assert setup.source() == setup.before


def test_word_comments_are_shown_to_whoever_applies(setup: Setup, capsys):
    path = setup.tracked(comments=[("mun.syfte", "Syftet med", "Ska vi nämna barn här?")])
    assert setup.apply(path) == 0
    out = capsys.readouterr().out
    assert "avsnitt 1.2 Syfte: Anna Berg, 2025-09-10: Ska vi nämna barn här? (on “Syftet med”)" in out
    assert "no edits in the clauses" in out


def test_dry_run_is_the_default_and_prints_the_yaml_diff(setup: Setup, capsys):
    path = setup.tracked(replacements=[("mun.palliativ", "muntorrhet", "torr mun")])
    assert setup.apply(path) == 0
    out = capsys.readouterr().out
    assert "-      munnen, såsom muntorrhet, svampinfektioner och sår, är vanliga i livets slutskede och" in out
    assert "+      munnen, såsom torr mun, svampinfektioner och sår, är vanliga i livets slutskede och" in out
    assert "dry run: nothing written" in out
    assert setup.source() == setup.before


def test_review_asks_clause_by_clause(setup: Setup, monkeypatch):
    path = setup.tracked(replacements=[("mun.palliativ", "muntorrhet", "torr mun"),
                                       ("mun.bakgrund", "tala och delta", "tala, le och delta")])
    answers = iter(["y", "n"])  # reading order: mun.bakgrund first
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert setup.apply(path, "--review") == 0
    assert setup.redline() == {"mun.bakgrund": frozenset({"changed"})}


def test_a_file_that_is_not_a_word_document_is_refused_clearly(setup: Setup, capsys):
    fake = setup.root / "svar.docx"
    fake.write_text("%PDF-1.7 not really", encoding="utf-8")
    assert setup.apply(fake) == 1
    err = capsys.readouterr().err
    assert "svar.docx" in err and "expected" in err and "Traceback" not in err


def test_a_word_file_not_made_by_avtal_is_refused(setup: Setup, capsys):
    import docx

    other = setup.root / "annat.docx"
    document = docx.Document()
    document.add_paragraph("Hej")
    document.save(str(other))
    assert setup.apply(other) == 1
    assert "not one of our Word files" in capsys.readouterr().err


def test_a_redline_file_applies_against_the_version_it_shows(setup: Setup, capsys):
    """A redline to a frozen version names it (its TO); one to the moving working sources names none and is
    known by the digest of its text. The group's own marks are not edits."""
    setup.yaml.write_text(setup.before.replace("såsom muntorrhet,", "såsom torr mun,"), encoding="utf-8")
    edit = [("mun.bakgrund", "tala och delta", "tala, le och delta")]
    assert main(["--sources", str(setup.sources), "redline", BASE, "working", "--dist", str(setup.root / "dist")]) == 0
    to_working = setup.untracked(setup.root / "dist" / "redline" / f"{BASE}--working" / f"{DOC}.docx", replacements=edit)
    assert setup.apply(to_working) == 0
    out = capsys.readouterr().out
    assert "made from the working sources" in out and "found by the digest of its text" in out
    assert any(line.startswith("+") and "tala, le och delta" in line for line in out.splitlines())
    assert setup.source() != setup.before.replace("tala och delta", "tala, le och delta")  # a dry run: not written
    assert main(["--sources", str(setup.sources), "freeze", "t-next", "--date", "2025-09-05"]) == 0
    assert main(["--sources", str(setup.sources), "redline", BASE, "t-next", "--dist", str(setup.root / "dist")]) == 0
    redline = setup.root / "dist" / "redline" / f"{BASE}--t-next" / f"{DOC}.docx"
    path = setup.untracked(redline, replacements=edit)
    assert setup.apply(path, "--accept-all") == 0
    next_version, _ = load_version(setup.sources, "t-next")
    new, _ = load_version(setup.sources, "working")
    changes = compare(next_version, new, "t-next", "working")
    assert {c.id: c.kinds for d in changes.documents for c in d.changes} == {"mun.bakgrund": frozenset({"changed"})}
    assert clause_text(new, new.clause("mun.bakgrund")) == clause_text(
        next_version, next_version.clause("mun.bakgrund")).replace("tala och delta", "tala, le och delta")
    setup.strict_check()


@pytest.mark.parametrize("name, data, reason", [
    ("makro.docx", raw_zip(docx_members() + [Member.of("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + bytes(500))]),
     "macro-enabled Word files are refused"),
    ("xxe.docx", raw_zip(docx_members(XXE_PASSWD)), "has a DOCTYPE"),
    ("bomb.docx", raw_zip(docx_members() + [Member.of("word/media/zeros.bin", bytes(50_000_000))]), "zip bomb"),
])
def test_hostile_files_are_refused_as_party_files_are(setup: Setup, capsys, name, data, reason):
    path = setup.root / name
    path.write_bytes(data)
    assert setup.apply(path, "--accept-all") == 1
    err = capsys.readouterr().err
    assert name in err and reason in err and "Traceback" not in err
    assert setup.source() == setup.before


def test_applying_the_same_file_twice_changes_nothing_the_second_time(setup: Setup, capsys):
    path = setup.tracked(replacements=[("mun.palliativ", "muntorrhet", "torr mun")])
    assert setup.apply(path, "--accept-all") == 0
    once = setup.source()
    assert setup.apply(path, "--accept-all") == 0
    assert "the sources already read like this" in capsys.readouterr().out
    assert setup.source() == once


def test_tracked_formatting_is_said_not_to_be_applied(setup: Setup, capsys):
    import docx
    from docx.oxml.ns import qn
    from lxml import etree

    document = docx.Document(str(setup.docx))
    run = next(r for p in document.paragraphs if p.text.startswith("Munvården är en central") for r in p.runs)
    props = run._r.get_or_add_rPr()
    etree.SubElement(props, qn("w:b"))
    change = etree.SubElement(props, qn("w:rPrChange"), {qn("w:id"): "900", qn("w:author"): "Anna Berg",
                                                          qn("w:date"): "2025-09-10T09:00:00Z"})
    etree.SubElement(change, qn("w:rPr"))
    path = setup.root / "bold.docx"
    document.save(str(path))
    assert setup.apply(path, "--accept-all") == 0
    out = capsys.readouterr().out
    assert "1 tracked formatting change(s) (bold, italics, styles) are not applied" in out
    assert "no edits in the clauses" in out and setup.source() == setup.before


@pytest.mark.client
def test_files_re_saved_by_libreoffice_without_edits_have_no_edits(setup: Setup, capsys):
    """Every clause of two documents (tables, lists, sub-clauses, references) survives a LibreOffice round trip."""
    soffice = require_client("soffice")
    main_doc = setup.root / "huvudavtal.docx"
    main_doc.write_bytes(render_docx(setup.old, setup.old.document("huvudavtal"), dt.datetime(2025, 9, 1),
                                     version=BASE))
    saved = libreoffice_resave([setup.docx, main_doc], setup.root / "lo", soffice)
    for path in saved:
        assert setup.apply(path, "--accept-all") == 0
        out = capsys.readouterr().out
        assert "no edits in the clauses" in out, out


def _git(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(root), "-c", "user.email=a@example.org", "-c", "user.name=t", *args],
                   check=True, capture_output=True)


def _build(setup: Setup) -> Path:
    """The document as `avtal build` writes it from the working sources: no version named."""
    built = setup.root / "built.docx"
    working, _ = load_version(setup.sources, "working")
    built.write_bytes(render_docx(working, working.document(DOC), dt.datetime(2025, 9, 1)))
    return built


def test_a_working_build_finds_its_base_by_the_digest_of_its_text(setup: Setup, capsys):
    """`avtal build` names no version; its text digest names the working sources it was built from. Edits to
    another document since the build do not matter: the digest is of this document's text."""
    setup.yaml.write_text(setup.before.replace("såsom muntorrhet,", "såsom torr mun,"), encoding="utf-8")
    setup.before = setup.source()
    path = setup.untracked(_build(setup), replacements=[("mun.bakgrund", "tala och delta", "tala, le och delta")])
    other = setup.sources / "documents" / "huvudavtal.yaml"
    text = other.read_text(encoding="utf-8")
    assert "Överenskommelsen" in text
    other.write_text(text.replace("Överenskommelsen", "Avtalet", 1), encoding="utf-8")
    assert setup.apply(path, "--accept-all") == 0
    assert "made from the working sources" in capsys.readouterr().out
    new, _ = load_version(setup.sources, "working")
    assert clause_text(new, new.clause("mun.bakgrund")) == setup.old_text("mun.bakgrund").replace(
        "tala och delta", "tala, le och delta")
    setup.changed_lines_within("mun.bakgrund")
    setup.strict_check()


def test_a_working_build_finds_its_base_in_git_history_once_the_sources_moved_on(setup: Setup, capsys):
    """Built from committed sources that changed since: the base is that commit, so an edit to a clause the sources
    changed too is a conflict (three texts), and the other edit applies."""
    _git(setup.root, "init", "-q")
    _git(setup.root, "add", "sources")
    _git(setup.root, "commit", "-qm", "sources")
    path = setup.untracked(_build(setup), replacements=[("mun.palliativ", "muntorrhet", "torr mun"),
                                                        ("mun.bakgrund", "tala och delta", "tala, le och delta")])
    moved = setup.before.replace("tala och delta socialt", "tala och umgås socialt")
    setup.yaml.write_text(moved, encoding="utf-8")  # not committed: the working sources moved on
    assert setup.apply(path, "--base", "HEAD") == 1  # what --base names is used as is
    assert "made from version HEAD" in capsys.readouterr().out
    assert setup.apply(path, "--accept-all") == 1
    out = capsys.readouterr().out
    commit = out.split("its text is that of version ")[1].split(",")[0]
    assert len(commit) >= 7 and all(c in "0123456789abcdef" for c in commit)
    assert "CONFLICT avsnitt" in out and "(mun.bakgrund)" in out
    assert f"--- version {commit}:" in out and "tala och delta socialt" in out  # the base's text
    assert "tala och umgås socialt" in out and "tala, le och delta socialt" in out  # the sources', Word's
    assert setup.text("mun.palliativ") == setup.old_text("mun.palliativ").replace("muntorrhet", "torr mun")
    assert "tala och umgås socialt" in setup.source()  # the conflict is not applied


def test_a_build_from_sources_never_committed_and_changed_since_needs_base(setup: Setup, capsys):
    path = setup.untracked(_build(setup), replacements=[("mun.palliativ", "muntorrhet", "torr mun")])
    setup.yaml.write_text(setup.before.replace("tala och delta socialt", "tala och umgås socialt"), encoding="utf-8")
    assert setup.apply(path, "--accept-all") == 1
    err = capsys.readouterr().err
    assert "untracked.docx" in err and "does not name the version it was made from" in err
    assert "its text is not that of the working sources, a frozen version or a git commit of them" in err
    assert "pass --base VERSION" in err and "Traceback" not in err
