"""The svarsformulär: as sent it names its party and round invisibly; filled in, it reads back without guessing.

Forms are filled the way a person does (forms.fill_form, python-docx) and re-saved by
LibreOffice for real; expected values come from the round, parter.yaml and the frozen
version's clause ids, never from the reader.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from avtal.model.problems import SourceError
from avtal.model.remiss import STANCES
from avtal.remiss.form_layout import chunks
from avtal.remiss.incoming.form import FormAnswer, is_form, parse_date, read_form
from avtal.remiss.incoming.untrusted import open_docx

from ...clients import openxml_errors
from ...conftest import ROOT
from ...render.conftest import require_client
from ..forms import Packed, fill_form, libreoffice_resave, packed

ROUND = "remiss-2025"
# A form of layout 1 (a column per stance, marked with an X) as Hjo kommun returned it, with no row filled in.
OLD_FORM = ROOT / "samples" / ROUND / "inkommande" / "Hjo kommun - svarsformulär Hälso- och sjukvårdsavtal.docx"


@pytest.fixture(scope="session")
def pack() -> Packed:
    return packed(ROUND)


def clause_ids(pack: Packed) -> list[str]:
    """Every clause of every remitted document, in reading order: the rows the form must have."""
    return [c.id for d in pack.info.documents for c in pack.corpus.document(d).clauses()]


def test_each_form_as_sent_names_its_party_round_version_and_checksum_and_has_every_clause_in_order(pack: Packed):
    ids = clause_ids(pack)
    assert len(ids) == len(set(ids)) > 250
    for party_id in ("vgr", "boras", "dals-ed", "ockero"):
        answer = read_form(pack.form(party_id))
        assert (answer.round, answer.party, answer.party_name) == (ROUND, party_id, pack.party(party_id).name)
        assert (answer.version, answer.version_checksum) == (pack.info.source.version, pack.checksum)
        assert [r.clause_id for r in answer.rows] == ids
        by_id = {c.id: c for d in pack.info.documents for c in pack.corpus.document(d).clauses()}
        assert all((r.number, r.title) == (by_id[r.clause_id].label, by_id[r.clause_id].title) for r in answer.rows)
        assert not answer.filled() and not answer.general and not answer.extra and not answer.problems


def test_every_form_carries_its_own_party_in_its_properties(pack: Packed):
    for party in pack.info.recipients:
        custom = zipfile.ZipFile(pack.form(party.id)).read("docProps/custom.xml").decode("utf-8")
        assert re.search(r'name="avtal.party"><vt:lpwstr>([^<]*)<', custom)[1] == party.id
        assert all(len(v) <= 255 for v in re.findall(r"<vt:lpwstr>([^<]*)<", custom))  # Word's limit per value


def test_the_form_shows_party_dnr_and_deadline_and_one_table_per_document_with_a_repeating_header(pack: Packed):
    document = docx.Document(str(pack.form("boras")))
    text = "\n".join(p.text for p in document.paragraphs)
    source = pack.info.source
    assert "Remissinstans: Borås Stad" in text
    assert f"Diarienummer: {source.diarienummer}" in text and "9 maj 2025" in text
    tables = [t for t in document.tables if len(t.columns) == 5]
    assert len(tables) == len(pack.info.documents)
    for table, doc_id in zip(tables, pack.info.documents):
        clauses = list(pack.corpus.document(doc_id).clauses())
        assert len(table.rows) == len(clauses) + 1
        assert [visible(c) for c in table.rows[0].cells] == ["Avsnitt", "Rubrik", "Ställningstagande", "Kommentar",
                                                          "Förslag till lydelse"]
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        assert [visible(r.cells[0]) for r in table.rows[1:]] == [c.label for c in clauses]
        assert [visible(r.cells[1]) for r in table.rows[1:]] == [c.title for c in clauses]
    section = document.sections[0]
    assert section.page_width > section.page_height  # landscape: room to write


def visible(cell) -> str:
    """What a reader of the page sees in a cell (hidden runs left out; runs inside content controls included)."""
    return "".join(t.text or "" for r in cell._tc.iter(qn("w:r")) if r.find(f"{qn('w:rPr')}/{qn('w:vanish')}") is None
                   for t in r.iter(qn("w:t")))


FILLED = {
    "inledning.syfte": ("instämmer", "Syftet är tydligt formulerat.", ""),
    "inledning.bakgrund": ("invänder", "Bakgrunden nämner inte barnperspektivet.\nSe även avsnitt 2.",
                           "Lägg till en mening om barnets bästa."),
    "inledning.lagstod": ("ingen erinran", "", ""),
    "mun.syfte": ("synpunkt", "Munhälsobedömningen bör ske årligen.", ""),
    "mun.bakgrund": (None, "Ingen ställning, bara en fråga.", ""),
}


FIELDS = {
    "question.1": "Ja, i huvudsak.\nGränsen för läkemedelsansvaret behöver förtydligas.",
    "question.3": "Avsnittet om betalningsansvar.",
    "covers": "Marks kommun och Svenljunga kommun",
    "consequences.economic": "Ökade kostnader för bemanning av vård i hemmet, cirka 2 miljoner kronor per år.",
    "consequences.children": "Barn som vårdas utanför det egna hemmet berörs inte av förslaget.",
}


@pytest.fixture(scope="session")
def filled(pack: Packed, tmp_path_factory) -> Path:
    return fill_form(pack.form("boras"), tmp_path_factory.mktemp("filled") / "boras.docx", rows=FILLED,
                     general="Borås Stad ställer sig i huvudsak bakom förslaget.\nSe särskilt avsnitt 1.2.",
                     decided_by=("Kommunstyrelsen", "15 april 2025", "45"), fields=FIELDS)


def test_a_filled_form_reads_back_every_position_comment_proposal_and_decision(filled: Path, pack: Packed):
    answer = read_form(filled)
    assert (answer.round, answer.party, answer.version_checksum) == (ROUND, "boras", pack.checksum)
    got = {r.clause_id: (r.stance, r.comment, r.proposal) for r in answer.filled()}
    assert got == FILLED
    assert [r.clause_id for r in answer.rows] == clause_ids(pack)
    assert answer.general == "Borås Stad ställer sig i huvudsak bakom förslaget.\nSe särskilt avsnitt 1.2."
    assert answer.decided_by.body == "Kommunstyrelsen"
    assert answer.decided_by.date == dt.date(2025, 4, 15)
    assert answer.decided_by.paragraph == "§ 45"
    assert not answer.extra and not answer.problems
    questions = pack.info.source.letter.questions
    assert [(q.number, q.question, q.answer) for q in answer.questions] == [
        (1, questions[0], FIELDS["question.1"]), (3, questions[2], FIELDS["question.3"])]
    assert (answer.covers, answer.economic, answer.children) == (
        FIELDS["covers"], FIELDS["consequences.economic"], FIELDS["consequences.children"])


def _controls(cell) -> list:
    return list(cell._tc.iter(qn("w:sdt")))


def _lock(sdt) -> str | None:
    lock = sdt.find(f"{qn('w:sdtPr')}/{qn('w:lock')}")
    return lock.get(qn("w:val")) if lock is not None else None


def test_the_form_is_a_word_form_a_drop_down_of_the_models_stances_answer_controls_and_locked_clause_rows(
        pack: Packed):
    document = docx.Document(str(pack.form("vgr")))
    tables = [t for t in document.tables if len(t.columns) == 5]
    rows = [r for t in tables for r in t.rows[1:]]
    assert len(rows) == len(clause_ids(pack))
    for row in rows:
        number, title, stance, comment, proposal = row.cells
        for cell in (number, title):  # the clause's own text: in a control whose content cannot be edited
            [locked] = _controls(cell)
            assert _lock(locked) == "sdtContentLocked" and visible(cell) == "".join(
                t.text for t in locked.iter(qn("w:t")))
        [choice] = _controls(stance)
        items = choice.find(f"{qn('w:sdtPr')}/{qn('w:dropDownList')}").findall(qn("w:listItem"))
        assert [i.get(qn("w:value")) for i in items] == list(STANCES)
        assert [i.get(qn("w:displayText")).lower() for i in items] == list(STANCES)
        for cell in (stance, comment, proposal):  # empty answers showing a placeholder, editable, not deletable
            [control] = _controls(cell)
            assert control.find(f"{qn('w:sdtPr')}/{qn('w:showingPlcHdr')}") is not None
            assert _lock(control) == "sdtLocked"
    labelled = [t for t in document.tables if len(t.columns) == 2]
    keys = []
    for table in labelled:
        for row in table.rows:
            found = re.search(r"\[avtal-field:([a-z0-9.]+)\]", "".join(t.text or "" for t in row.cells[0]._tc.iter(
                qn("w:t"))))
            if found:
                keys.append(found[1])
                [control] = _controls(row.cells[1])
                assert _lock(control) == "sdtLocked"
    questions = len(pack.info.source.letter.questions)
    assert keys == [*(f"question.{n}" for n in range(1, questions + 1)), "covers", "consequences.economic",
                    "consequences.children", "decided.body", "decided.date", "decided.paragraph"]
    assert not [c for c in document.element.body.iter(qn("w:sdt")) if c.find(qn("w:sdtPr")).find(qn("w:lock"))
                is None]


def test_the_forms_text_is_at_least_10_pt(pack: Packed):
    with zipfile.ZipFile(pack.form("vgr")) as z:
        document, styles = z.read("word/document.xml").decode(), z.read("word/styles.xml").decode()
    sizes = [int(v) for v in re.findall(r'<w:sz w:val="(\d+)"', document)]
    assert all(v >= 20 for v in sizes), sorted(set(sizes))  # half-points
    used = set(re.findall(r'<w:pStyle w:val="([^"]+)"', document))
    blocks = {m[1]: m[0] for m in re.finditer(r'<w:style [^>]*w:styleId="([^"]+)".*?</w:style>', styles, re.S)}
    for style in used:
        size = re.search(r'<w:sz w:val="(\d+)"', blocks.get(style, ""))
        assert size is None or int(size[1]) >= 20, (style, size[1])
    assert "FormCell" in used and re.search(r'<w:sz w:val="(\d+)"', blocks["FormCell"])[1] == "20"


@pytest.mark.client
def test_the_packed_form_has_no_openxml_errors_and_libreoffice_turns_it_into_a_pdf_with_its_text(
        pack: Packed, tmp_path: Path):
    import subprocess

    import pypdf

    form = pack.form("boras")
    assert openxml_errors(form) == []
    soffice = require_client("soffice")
    result = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                             "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(form)],
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    text = " ".join(" ".join((page.extract_text() or "").split())
                    for page in pypdf.PdfReader(tmp_path / f"{form.stem}.pdf").pages)
    assert "Remissinstans: Borås Stad" in text and pack.info.source.letter.questions[0] in text
    assert "Välj ställningstagande" in text  # the drop-down's placeholder is shown
    assert "[avtal-id:" not in text  # the hidden ids stay hidden
    assert "Ställningstagande" in text
    words = set(text.split())
    broken = {w for d in pack.info.documents for c in pack.corpus.document(d).clauses() for w in c.title.split()
              if w not in words}
    assert not broken  # every word of every heading is there whole: none is broken inside its column


@pytest.mark.client
def test_a_form_resaved_by_libreoffice_still_reads_back_identically(filled: Path, pack: Packed, tmp_path: Path):
    soffice = require_client("soffice")
    written_outside = fill_form(filled, tmp_path / "in" / "outside.docx", outside=["Med vänlig hälsning, Kalle"],
                                added_rows={"mun.syfte": "Gäller även korttidsboende."})
    blank = shutil.copy(pack.form("boras"), tmp_path / "in" / "blank.docx")
    resaved = libreoffice_resave([filled, written_outside, blank], tmp_path / "out", soffice)
    assert b"LibreOffice" in zipfile.ZipFile(resaved[0]).read("docProps/app.xml")  # really re-written
    assert read_form(resaved[0]) == read_form(filled)
    assert read_form(resaved[1]) == read_form(written_outside)
    assert read_form(resaved[1]).extra  # the text outside the fields is still found after the re-save
    # LibreOffice 7.4 keeps a control's placeholder text but may drop its flag: still no answer.
    assert read_form(resaved[2]) == read_form(blank)
    empty = read_form(resaved[2])
    assert not (empty.filled() or empty.general or empty.questions or empty.covers or empty.extra or empty.problems)


@pytest.mark.parametrize("column, text, stance, problem", [
    ("instämmer", "X", "instämmer", None),
    ("instämmer", "x", "instämmer", None),
    ("invänder", "✓", "invänder", None),
    ("instämmer", "Instämmer.", "instämmer", None),
    ("ingen erinran", "INGEN ERINRAN", "ingen erinran", None),
    ("instämmer", "Invänder!", "invänder", "written in column Instämmer: read as 'invänder'"),
    ("synpunkt", "nej", None, "unknown mark 'nej' in column Synpunkt"),
])
def test_marks_and_words_in_the_position_columns_of_a_layout_1_form_are_read_as_positions(tmp_path: Path, column,
                                                                                          text, stance, problem):
    assert b"[avtal-col:instammer]" in zipfile.ZipFile(OLD_FORM).read("word/document.xml")  # a column per stance
    out = fill_form(OLD_FORM, tmp_path / "hjo.docx", rows={"inledning.syfte": ((column, text), "", "")})
    answer = read_form(out)
    row = next(r for r in answer.rows if r.clause_id == "inledning.syfte")
    assert row.stance == stance
    assert text in row.stance_text
    assert stance is None or stance in STANCES
    if problem:
        assert any(problem in p and "inledning.syfte" in p for p in answer.problems), answer.problems
    else:
        assert not answer.problems


def test_a_stance_chosen_in_the_drop_down_is_read_and_an_x_typed_into_it_is_a_problem_not_a_guess(
        pack: Packed, tmp_path: Path):
    chosen = fill_form(pack.form("vgr"), tmp_path / "a.docx", rows={"inledning.syfte": ("ingen erinran", "", "")})
    row = next(r for r in read_form(chosen).rows if r.clause_id == "inledning.syfte")
    assert (row.stance, row.stance_text) == ("ingen erinran", "Ingen erinran")
    typed = fill_form(pack.form("vgr"), tmp_path / "b.docx", rows={"inledning.syfte": (("invänder", "X"), "Nej.", "")})
    answer = read_form(typed)
    row = next(r for r in answer.rows if r.clause_id == "inledning.syfte")
    assert (row.stance, row.stance_text, row.comment) == (None, "X", "Nej.")
    assert [p for p in answer.problems if "inledning.syfte" in p and "'X'" in p and "does not say which" in p]


def test_two_positions_marked_on_one_row_of_a_layout_1_form_give_none_and_a_problem(tmp_path: Path):
    once = fill_form(OLD_FORM, tmp_path / "a.docx", rows={"inledning.syfte": ("instämmer", "", "")})
    twice = fill_form(once, tmp_path / "b.docx", rows={"inledning.syfte": ("invänder", "", "")})
    answer = read_form(twice)
    assert next(r for r in answer.rows if r.clause_id == "inledning.syfte").stance is None
    assert any("several positions marked" in p for p in answer.problems)


def test_text_outside_the_fields_and_in_added_rows_is_kept_with_where_it_was_found(pack: Packed, tmp_path: Path):
    out = fill_form(pack.form("boras"), tmp_path / "boras.docx", rows={"mun.syfte": ("synpunkt", "Se nedan.", "")},
                    outside=["Med vänlig hälsning, Socialförvaltningen"],
                    added_rows={"mun.syfte": "Gäller även korttidsboende."})
    answer = read_form(out)
    extra = {e.text: e.where for e in answer.extra}
    assert "Med vänlig hälsning, Socialförvaltningen" in extra
    assert "Gäller även korttidsboende." in extra
    assert "row added after row" in extra["Gäller även korttidsboende."]
    mun = pack.corpus.document("munhalsa")
    assert mun.title in extra["Gäller även korttidsboende."]
    assert next(r for r in answer.rows if r.clause_id == "mun.syfte").comment == "Se nedan."


def test_an_edited_heading_cell_is_reported_as_text_outside_the_fields(pack: Packed, tmp_path: Path):
    document = docx.Document(str(pack.form("boras")))
    table = next(t for t in document.tables if len(t.columns) == 5)
    table.rows[2].cells[1].paragraphs[0].add_run(" – vi saknar en definition")
    document.save(str(tmp_path / "edited.docx"))
    answer = read_form(tmp_path / "edited.docx")
    assert [(e.where.split(",")[0], e.text) for e in answer.extra] == [
        ("row 1.1 (inledning.bakgrund)", "Bakgrund – vi saknar en definition")]


def _without(path: Path, out: Path, pattern: bytes, part: str = "word/document.xml") -> Path:
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts[part] = re.sub(pattern, b"", parts[part])
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out


def test_the_row_ids_survive_losing_the_hidden_text_through_the_bookmarks(filled: Path, tmp_path: Path):
    stripped = _without(filled, tmp_path / "no-ids.docx", rb"\[avtal-id:[^\]]*\]")
    assert b"[avtal-id:" not in zipfile.ZipFile(stripped).read("word/document.xml")
    assert read_form(stripped).rows == read_form(filled).rows


def test_round_and_party_survive_losing_the_custom_properties_through_the_page_header(filled: Path, tmp_path: Path):
    stripped = _without(filled, tmp_path / "no-props.docx", rb"<property .*?</property>", "docProps/custom.xml")
    answer, original = read_form(stripped), read_form(filled)
    assert (answer.round, answer.party, answer.version, answer.version_checksum) == (
        original.round, original.party, original.version, original.version_checksum)
    assert answer.rows == original.rows
    assert any("custom document properties were lost" in p for p in answer.problems)


def test_columns_survive_losing_their_hidden_markers_through_the_header_words(filled: Path, tmp_path: Path):
    stripped = _without(filled, tmp_path / "no-cols.docx", rb"\[avtal-(col|field):[^\]]*\]")
    answer, original = read_form(stripped), read_form(filled)
    assert (answer.rows, answer.general, answer.decided_by) == (original.rows, original.general, original.decided_by)
    assert (answer.questions, answer.covers, answer.economic, answer.children) == (
        original.questions, original.covers, original.economic, original.children)
    assert len(original.questions) == 2 and original.covers and original.economic and original.children


def test_a_row_copied_by_the_party_is_combined_with_its_original(pack: Packed, tmp_path: Path):
    import copy

    out = fill_form(pack.form("boras"), tmp_path / "a.docx", rows={"inledning.syfte": ("instämmer", "Första.", "")})
    document = docx.Document(str(out))
    for table in document.tables:
        for row in table.rows:
            if "[avtal-id:inledning.syfte]" in "".join(t.text or "" for t in row._tr.iter(qn("w:t"))):
                duplicate = copy.deepcopy(row._tr)
                for text in duplicate.iter(qn("w:t")):
                    if text.text == "Första.":
                        text.text = "Andra."
                row._tr.addnext(duplicate)
                break
    document.save(str(tmp_path / "b.docx"))
    answer = read_form(tmp_path / "b.docx")
    row = next(r for r in answer.rows if r.clause_id == "inledning.syfte")
    assert (row.stance, row.comment) == ("instämmer", "Första.\nAndra.")
    assert any("appears twice" in p for p in answer.problems)


def test_is_form_tells_a_form_from_a_distributed_document(pack: Packed):
    assert is_form(open_docx(pack.form("boras")))
    draft = next((pack.folder / "boras").glob("1 *.docx"))
    assert not is_form(open_docx(draft))
    assert not is_form(open_docx(pack.missiv("boras", ".docx")))


def test_a_document_that_is_not_a_form_is_refused_with_the_reason(pack: Packed):
    draft = next((pack.folder / "boras").glob("1 *.docx"))
    with pytest.raises(SourceError) as caught:
        read_form(draft)
    assert "not a svarsformulär" in str(caught.value) and draft.name in str(caught.value)


def test_a_decision_date_that_cannot_be_read_is_kept_as_written_with_a_problem(pack: Packed, tmp_path: Path):
    out = fill_form(pack.form("boras"), tmp_path / "a.docx", decided_by=("KS", "i våras", "§ 12"))
    answer = read_form(out)
    assert (answer.decided_by.date, answer.decided_by.date_text, answer.decided_by.paragraph) == (None, "i våras",
                                                                                                   "§ 12")
    assert any("decision date 'i våras' not understood" in p for p in answer.problems)


@pytest.mark.parametrize("text, day", [("2025-04-15", dt.date(2025, 4, 15)), ("15 april 2025", dt.date(2025, 4, 15)),
                                       ("15/4 2025", dt.date(2025, 4, 15)), ("15.4.2025", dt.date(2025, 4, 15)),
                                       ("2025-02-30", None), ("förra veckan", None)])
def test_decision_dates_are_read_as_swedes_write_them(text, day):
    assert parse_date(text) == day


def test_long_lists_are_split_into_property_values_word_keeps():
    ids = [f"avsnitt.nummer-{i}" for i in range(100)]
    parts = chunks(ids)
    assert all(len(p) <= 255 for p in parts) and " ".join(parts).split() == ids


def test_a_form_answer_is_a_value(filled: Path):
    assert isinstance(read_form(filled), FormAnswer) and read_form(filled) == read_form(filled)
    shutil.rmtree(filled.parent / "missing", ignore_errors=True)


def test_rendering_the_form_once_per_round_gives_each_party_the_form_rendered_for_it_alone(pack: Packed):
    """The fast path (one rendering, values substituted) equals rendering the template for the party itself."""
    import io

    from lxml import etree

    from avtal.model.problems import Problems
    from avtal.remiss.outgoing.form import FormIdentity, FormWriter, check_form_template
    from avtal.remiss.outgoing.pack import Loaded, pack_time, party_context, round_context
    from avtal.remiss.outgoing.templates import FORM, Use

    info = check_form_template(FORM, Problems())
    assert info is not None and info.substitutable
    slow_info = type(info)(FORM, uses=[*info.uses, Use("party.kind", "test", kind="expr")])
    source = pack.info.source
    loaded = Loaded(pack.info, pack.corpus, pack.checksum, None)
    base = round_context(loaded, pack.names, None)
    identity = FormIdentity(ROUND, source.version, pack.checksum, tuple(clause_ids(pack)))
    slow = FormWriter(FORM, slow_info, identity, pack_time(source.sent), pack.names.round)
    for party_id in ("vgr", "dals-ed"):
        ctx = party_context(base, loaded, pack.names, pack.party(party_id), [])
        ours = zipfile.ZipFile(pack.form(party_id))
        alone = zipfile.ZipFile(io.BytesIO(slow.for_party({**ctx, "attachments": []})))
        for part in ("word/document.xml", "docProps/custom.xml", "docProps/core.xml", "word/header1.xml"):
            assert etree.tostring(etree.fromstring(ours.read(part)), method="c14n") == etree.tostring(
                etree.fromstring(alone.read(part)), method="c14n"), (party_id, part)
