"""Returned drafts and letters read back: every comment and tracked change on its clause, letters as text.

The draft is the real huvudavtal of the frozen version `remiss-2025`, rendered as we
distribute it, then annotated the way Word does (`wordlike`). Expected clause ids, quotes
and sentences come from the model's own text, never from the reader's output.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pypandoc
import pytest

from avtal.model.text import Str, block_inlines, walk_inlines
from avtal.model.versions import load_version
from avtal.remiss.incoming import untrusted
from avtal.remiss.incoming.letters import letter_decided_by, read_letter
from avtal.remiss.incoming.readers import (FLAG_GLOSSARY, FLAG_MOVED, FLAG_TERM, FLAG_TOC, RawComment, identify_draft,
                                           read_draft)
from avtal.render.build import build_time
from avtal.render.docx import render_docx
from avtal.render.tree import GLOSSARY_ID
from avtal.render.wording import GROUP, STATUS_LABEL
from tests.remiss.wordlike import Move, Remark, annotate_draft
from tests.render.conftest import require_client

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ROOT / "sources"
VERSION = "remiss-2025"
DOC = "huvudavtal"
AUTHOR = "Karin Berg"
REPLIER = "Jonas Holm"
WHEN = dt.datetime(2025, 3, 14, 10, 22)

# What the reviewer does, clause by clause (texts chosen from the model; each is checked against it below).
SYFTE = ("inledning.syfte", "trygg, säker och sammanhållen vård", "Vad avses med sammanhållen vård?")
SEKRETESS = ("samverkan.informationsoverforing.sekretess", "Uppgifter får lämnas mellan huvudmännen",
             "Hänvisa till den länsgemensamma samtyckesrutinen.")  # id over 40 characters: a shortened bookmark
PREAMBLE = (None, "Många av dem som behöver hälso- och sjukvård", "Bra inledning.")
SPAN = Remark("ansvar.sip.initiativ", "Planeringen ska påbörjas utan dröjsmål.", "Gäller även uppföljningen.",
              end_clause="ansvar.sip.genomforande", end_anchor="Den enskildes egna mål ska framgå.")
THREAD = Remark("ansvar.lakemedel.genomgang", "Läkemedelsgenomgången genomförs av läkaren",
                "Vem kallar till genomgången?", replies=((REPLIER, "Instämmer, det behöver förtydligas."),))
TOC_CLAUSE, TOC_TEXT = "ansvar.sip", "Avsnittet borde komma före 3.4."  # a comment on a contents entry
GLOSSARY = (GLOSSARY_ID, "Begreppet ersätter det tidigare hemsjukvård.", "Behövs den här meningen?")
REPLACE = ("inledning.avtalsparter", "fattar själv beslut om att anta", "beslutar själv om att anta")
DELETE = ("vardegrund.tillit", ", till exempel ändrade öppettider, nedläggning av enheter eller nya arbetssätt")
INSERT = ("vardegrund.kunskap", "riktlinjer och Vårdhandboken", " samt Fass")
NEW_PARAGRAPH = ("vardegrund.tillit", "Samverkan mellan parterna ska bygga på tillit.",
                 "Tillit byggs också genom gemensamma utbildningar.")
WHOLE_PARAGRAPH = ("ansvar.lakemedel.genomgang", "Kommunens personal ansvarar för att inför läkemedelsgenomgången "
                   "samla in relevanta uppgifter om den enskildes symtom, funktion och läkemedelsanvändning, "
                   "till exempel med stöd av strukturerade skattningsformulär.")
MOVE = Move("ansvar.vard-i-hemmet.forutsattningar",
            " Sådana insatser ansvarar den part för som har vårdkontakten vid tillfället.",
            "ansvar.vard-i-hemmet.inskrivning", "ska lämna de uppgifter som behövs för bedömningen.")


# ---- fixtures -----------------------------------------------------------------

@pytest.fixture(scope="module")
def remiss():
    return load_version(SOURCES, VERSION)


@pytest.fixture(scope="module")
def corpus(remiss):
    return remiss[0]


@pytest.fixture(scope="module")
def draft(remiss, tmp_path_factory) -> Path:
    """The huvudavtal as distributed in the remiss: rendered from the frozen version, naming it."""
    corpus, name = remiss
    path = tmp_path_factory.mktemp("draft") / f"{DOC}.docx"
    path.write_bytes(render_docx(corpus, corpus.document(DOC), build_time(corpus), version=name))
    return path


def toc_entry(corpus) -> str:
    """A contents entry as the title page's table of contents shows it: number and title."""
    clause = corpus.clause(TOC_CLAUSE)
    return f"{clause.label} {clause.title}"


def annotate(draft: Path, out: Path, **extra) -> Path:
    corpus = load_version(SOURCES, VERSION)[0]
    title = corpus.document(DOC).title
    return annotate_draft(
        draft, out, author=AUTHOR, date=WHEN,
        comments=[SYFTE, SEKRETESS, PREAMBLE, (None, title, "Titeln bör nämna kommunerna."), SPAN, THREAD, GLOSSARY,
                  (None, toc_entry(corpus), TOC_TEXT)],
        replacements=[REPLACE], deletions=[DELETE, WHOLE_PARAGRAPH], insertions=[INSERT],
        new_paragraphs=[NEW_PARAGRAPH], moves=[MOVE], **extra)


@pytest.fixture(scope="module")
def annotated(draft, tmp_path_factory) -> Path:
    return annotate(draft, tmp_path_factory.mktemp("annotated") / f"{DOC}-karin-berg.docx")


@pytest.fixture(scope="module")
def found(annotated, corpus) -> list[RawComment]:
    return read_draft(untrusted.open_docx(annotated), corpus)


@pytest.fixture(scope="module")
def resaved(annotated, tmp_path_factory) -> Path:
    """The annotated draft opened and saved again as .docx by LibreOffice."""
    soffice = require_client("soffice")
    work = tmp_path_factory.mktemp("libreoffice")
    result = subprocess.run([soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
                             "--norestore", "--convert-to", "docx", "--outdir", str(work / "out"), str(annotated)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    return work / "out" / annotated.name


# ---- helpers: expected values from the model ---------------------------------------

def paragraphs(corpus, clause_id: str) -> list[str]:
    """The clause's paragraphs as the model has them (plain and linked text; references and terms leave gaps)."""
    return [plain(run) for run in block_inlines(corpus.clause(clause_id).body)]


def plain(run) -> str:
    return "".join(n.text for n in walk_inlines(run) if isinstance(n, Str))


def sentence(corpus, clause_id: str, phrase: str) -> str:
    """The model's sentence in the clause that contains `phrase`."""
    for para in paragraphs(corpus, clause_id):
        for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ])", para):
            if phrase.strip() in s:
                return s
    raise AssertionError(f"{phrase!r} is not a sentence in {clause_id}")


def one(found: list[RawComment], **match) -> RawComment:
    hits = [r for r in found if all(getattr(r, k) == v for k, v in match.items())]
    assert len(hits) == 1, f"expected one comment with {match}, found {len(hits)}: {hits}"
    return hits[0]


def test_the_chosen_texts_are_the_models_own(corpus):
    for clause, phrase, *_ in (SYFTE, SEKRETESS, REPLACE, DELETE, INSERT, NEW_PARAGRAPH, WHOLE_PARAGRAPH,
                               (SPAN.clause, SPAN.anchor), (SPAN.end_clause, SPAN.end_anchor),
                               (THREAD.clause, THREAD.anchor), (MOVE.clause, MOVE.text), (MOVE.to_clause, MOVE.after)):
        assert any(phrase.strip() in p for p in paragraphs(corpus, clause)), (clause, phrase)
    assert any(PREAMBLE[1] in plain(run) for run in block_inlines(corpus.document(DOC).preamble))
    assert any(GLOSSARY[1] in plain(run) for run in block_inlines(corpus.term("vard-i-hemmet").definition))


# ---- identifying a draft -----------------------------------------------------------

def test_a_returned_draft_names_its_document_version_and_date(annotated, corpus):
    info = identify_draft(untrusted.open_docx(annotated))
    meta = corpus.document(DOC).source
    assert info is not None
    assert (info.document, info.version, info.version_date) == (DOC, VERSION, meta.version_date)
    assert (info.title, info.diarienummer, info.status) == (meta.title, meta.diarienummer,
                                                            STATUS_LABEL[meta.status])


def test_a_built_document_names_its_document_but_no_version(corpus, tmp_path):
    path = tmp_path / "munhalsa.docx"
    path.write_bytes(render_docx(corpus, corpus.document("munhalsa"), build_time(corpus)))
    info = identify_draft(untrusted.open_docx(path))
    assert info is not None and (info.document, info.version) == ("munhalsa", None)


def test_a_word_file_that_is_not_ours_is_not_a_returned_draft(tmp_path, corpus):
    letter = docx.Document()
    letter.add_paragraph("Hälso- och sjukvårdsavtal: yttrande från Lerums kommun.")
    letter.core_properties.title = "Hälso- och sjukvårdsavtal"
    letter.save(tmp_path / "yttrande.docx")
    assert identify_draft(untrusted.open_docx(tmp_path / "yttrande.docx"), corpus) is None


def test_our_draft_without_its_id_property_is_still_recognised_by_diarienummer_and_title(draft, corpus, tmp_path):
    stripped = tmp_path / "utan-egenskaper.docx"
    with zipfile.ZipFile(draft) as source, zipfile.ZipFile(stripped, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/custom.xml":
                data = re.sub(rb"<property .*</property>", b"", data)
            target.writestr(info, data)
    pkg = untrusted.open_docx(stripped)
    assert identify_draft(pkg) is None  # nothing to go on without the corpus
    info = identify_draft(pkg, corpus)
    assert info is not None and (info.document, info.version) == (DOC, None)


# ---- reading a draft ---------------------------------------------------------------

def test_read_draft_finds_exactly_the_reviewers_comments_and_changes(found):
    expected = Counter({
        ("inledning.syfte", "word-comment"): 1, (SEKRETESS[0], "word-comment"): 1, (None, "word-comment"): 3,
        (SPAN.clause, "word-comment"): 1, (THREAD.clause, "word-comment"): 1, (TOC_CLAUSE, "word-comment"): 1,
        (REPLACE[0], "insertion"): 1, (DELETE[0], "deletion"): 1, (NEW_PARAGRAPH[0], "insertion"): 1,
        (INSERT[0], "insertion"): 1, (WHOLE_PARAGRAPH[0], "deletion"): 1,
        (MOVE.clause, "deletion"): 1, (MOVE.to_clause, "insertion"): 1,
    })
    assert Counter((r.clause, r.source) for r in found) == expected
    assert {(r.author, r.date) for r in found} == {(AUTHOR, WHEN.date())}


def test_a_comment_lands_on_the_clause_whose_bookmark_holds_it_and_quotes_its_range(found):
    for clause, anchor, text in (SYFTE, SEKRETESS):
        comment = one(found, clause=clause, source="word-comment")
        assert (comment.text, comment.quote, comment.document, comment.flags) == (text, anchor, None, ())


def test_comments_on_the_title_page_preamble_and_glossary_concern_the_whole_document(found, corpus):
    title = corpus.document(DOC).title
    assert one(found, quote=title).clause is None
    preamble = one(found, quote=PREAMBLE[1])
    assert (preamble.clause, preamble.document, preamble.text) == (None, DOC, PREAMBLE[2])
    glossary = one(found, quote=GLOSSARY[1])
    assert (glossary.clause, glossary.document) == (None, DOC)
    term = corpus.term("vard-i-hemmet").source.term
    assert glossary.flags == (FLAG_GLOSSARY, FLAG_TERM.format(term=term))


def test_a_comment_on_a_contents_entry_concerns_the_clause_it_links_to(found, corpus):
    comment = one(found, text=TOC_TEXT)
    assert (comment.clause, comment.quote) == (TOC_CLAUSE, toc_entry(corpus))
    assert comment.flags == (FLAG_TOC,)


def test_a_comment_spanning_two_clauses_is_attached_where_it_starts_and_flagged(found, corpus):
    comment = one(found, text=SPAN.text)
    assert comment.clause == SPAN.clause
    assert comment.quote.startswith(SPAN.anchor) and comment.quote.endswith(SPAN.end_anchor)
    start, end = corpus.clause(SPAN.clause), corpus.clause(SPAN.end_clause)
    assert comment.flags == (f"sträcker sig från avsnitt {start.label} {start.title} till avsnitt {end.label} "
                             f"{end.title}: förd till avsnitt {start.label} {start.title}",)


def test_a_reply_is_attached_to_its_comment_in_one_thread(found):
    comment = one(found, clause=THREAD.clause, source="word-comment")
    assert comment.quote == THREAD.anchor and comment.author == AUTHOR
    assert comment.text.startswith(THREAD.text)
    assert REPLIER in comment.text and THREAD.replies[0][1] in comment.text
    assert comment.flags == ("kommentarstråd: 1 svar ingår i texten",)


def test_a_replacement_is_one_proposed_change_ersatt_x_med_y_with_the_sentence_before_and_after(found, corpus):
    clause, old, new = REPLACE
    change = one(found, clause=clause)
    before = sentence(corpus, clause, old)
    assert change.source == "insertion"
    assert change.text == f"Ersätt ”{old}” med ”{new}”."
    assert (change.quote, change.proposal) == (before, before.replace(old, new))


def test_a_deletion_and_an_insertion_show_the_sentence_before_and_after(found, corpus):
    clause, old = DELETE
    deletion = one(found, clause=clause, source="deletion")
    before = sentence(corpus, clause, old)
    assert deletion.text == f"Stryk ”{old.strip(' ,')}”." or deletion.text == f"Stryk ”{old.strip()}”."
    assert (deletion.quote, deletion.proposal) == (before, before.replace(old, ""))
    clause, after, new = INSERT
    insertion = one(found, clause=clause)
    before = sentence(corpus, clause, after)
    assert insertion.text == f"Infoga ”{new.strip()}”."
    assert (insertion.quote, insertion.proposal) == (before, before.replace(after, after + new))


def test_whole_paragraphs_inserted_or_deleted_are_proposed_as_paragraphs(found, corpus):
    clause, after, text = NEW_PARAGRAPH
    new = one(found, clause=clause, source="insertion")
    last = paragraphs(corpus, clause)[0].split(". ")[-1]  # the paragraph the new one follows ends here
    assert new.text == f"Infoga nytt stycke: ”{text}”."
    assert (new.quote, new.proposal) == (last, f"{last}\n\n{text}")
    clause, text = WHOLE_PARAGRAPH
    gone = one(found, clause=clause, source="deletion")
    assert (gone.text, gone.quote, gone.proposal) == (f"Stryk stycket ”{text}”.", text, None)


def test_a_word_move_is_a_deletion_where_it_was_and_an_insertion_where_it_went(found, corpus):
    moved = MOVE.text.strip()
    source, target = corpus.clause(MOVE.clause), corpus.clause(MOVE.to_clause)
    away = one(found, clause=MOVE.clause, source="deletion")
    here = one(found, clause=MOVE.to_clause, source="insertion")
    assert away.text == f"Flytta ”{moved}” till avsnitt {target.label} {target.title}."
    assert here.text == f"Flytta hit ”{moved}” från avsnitt {source.label} {source.title}."
    assert away.quote == moved
    assert here.proposal == f"{sentence(corpus, MOVE.to_clause, MOVE.after)} {moved}"
    assert all(FLAG_MOVED in r.flags for r in (away, here))


def test_anchors_are_unique_and_reading_again_gives_the_same_comments(found, annotated, corpus):
    assert len({r.anchor for r in found}) == len(found)
    assert read_draft(untrusted.open_docx(annotated), corpus) == found


def test_a_draft_that_lost_its_bookmarks_still_maps_by_heading_number_and_title(found, annotated, corpus, tmp_path):
    """LibreOffice drops a heading's bookmark when a table comes just before it: the heading text stands in."""
    bare = tmp_path / "utan-bokmarken.docx"
    with zipfile.ZipFile(annotated) as source, zipfile.ZipFile(bare, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                data = re.sub(rb"<w:bookmark(Start|End) [^>]*/>", b"", data)
                assert b"bookmarkStart" not in data
            target.writestr(info, data)
    again = read_draft(untrusted.open_docx(bare), corpus)
    assert [(r.clause, r.source, r.text, r.quote, r.anchor) for r in again] == [
        (r.clause, r.source, r.text, r.quote, r.anchor) for r in found]


def test_the_working_groups_own_marks_in_a_draft_we_sent_are_not_the_partys(draft, corpus, tmp_path):
    ours = annotate_draft(draft, tmp_path / "redline.docx", author=GROUP, date=WHEN,
                          comments=[("inledning.syfte", "trygg", "Flyttad från avsnitt 1.1.")],
                          deletions=[("vardegrund.tillit", "tidigt ")], insertions=[("inledning.avtalsparter",
                                                                                      "Västra Götaland", " län")])
    theirs = annotate_draft(ours, tmp_path / "returned.docx", author=AUTHOR, date=WHEN, comments=[SYFTE])
    found = read_draft(untrusted.open_docx(theirs), corpus)
    assert [(r.clause, r.author, r.text) for r in found] == [(SYFTE[0], AUTHOR, SYFTE[2])]


def test_an_empty_draft_yields_no_comments(draft, corpus):
    assert read_draft(untrusted.open_docx(draft), corpus) == []


# ---- the Word-like writer itself ----------------------------------------------------

def test_the_annotated_draft_opens_in_python_docx_with_its_comments(annotated):
    document = docx.Document(str(annotated))
    comments = {c.author: [] for c in document.comments}
    for c in document.comments:
        comments[c.author].append(c.text)
    assert sorted(comments[AUTHOR]) == sorted([SYFTE[2], SEKRETESS[2], PREAMBLE[2], "Titeln bör nämna kommunerna.",
                                               SPAN.text, THREAD.text, GLOSSARY[2], TOC_TEXT])
    assert comments[REPLIER] == [THREAD.replies[0][1]]


def test_pandoc_reads_the_comments_and_tracked_changes(annotated):
    text = pypandoc.convert_file(str(annotated), "markdown", extra_args=["--track-changes=all", "--wrap=none"])
    assert text.count('{.comment-start') == 9
    assert text.count(".insertion") >= 4 and text.count(".deletion") >= 3
    assert f'author="{AUTHOR}"' in text and '"2025-03-14T10:22:00Z"' in text


def test_the_writer_is_deterministic(draft, tmp_path):
    first = annotate(draft, tmp_path / "a.docx").read_bytes()
    assert annotate(draft, tmp_path / "b.docx").read_bytes() == first


# ---- LibreOffice -------------------------------------------------------------------

@pytest.mark.client
def test_a_draft_resaved_by_libreoffice_reads_the_same_comments_on_the_same_clauses(found, resaved, corpus):
    """LibreOffice 7.4 keeps comments, changes and our properties; it drops threads and moves.

    It also drops the bookmark of a heading that follows a table and repeats others, empty, where a
    section ends: the reader starts a clause at its first bookmark, or at its heading's number and title.
    """
    again = read_draft(untrusted.open_docx(resaved), corpus)
    assert identify_draft(untrusted.open_docx(resaved)).document == DOC

    def plain(r: RawComment) -> tuple:
        return r.clause, r.quote, r.author, r.date, r.anchor

    moved_text = MOVE.text.strip()

    def was_moved(r: RawComment) -> bool:
        return moved_text in r.text

    thread = one(found, clause=THREAD.clause, source="word-comment")
    kept = [plain(r) for r in found if not was_moved(r) and r is not thread]
    assert [plain(r) for r in again if not was_moved(r) and (r.clause, r.source) != (THREAD.clause, "word-comment")
            ] == kept
    # the same words too, except in the contents: LibreOffice 7.4 keeps that comment's place but not its text
    same_text = {(r.clause, r.source, r.text, r.flags) for r in found
                 if not was_moved(r) and r is not thread and r.text != TOC_TEXT}
    assert same_text <= {(r.clause, r.source, r.text, r.flags) for r in again}
    # a thread comes back as two comments on the same words
    split = [r for r in again if r.clause == THREAD.clause and r.source == "word-comment"]
    assert sorted((r.author, r.text, r.quote) for r in split) == sorted(
        [(AUTHOR, THREAD.text, THREAD.anchor), (REPLIER, THREAD.replies[0][1], THREAD.anchor)])
    # a move comes back as a plain deletion and insertion on the same clauses
    assert one(again, clause=MOVE.clause, source="deletion").text == f"Stryk ”{moved_text}”."
    assert one(again, clause=MOVE.to_clause, source="insertion").text == f"Infoga ”{moved_text}”."


# ---- letters -----------------------------------------------------------------------

LETTER = [
    "Remissvar: Hälso- och sjukvårdsavtal",
    "Lerums kommun har tagit del av remissen om nytt hälso- och sjukvårdsavtal med tillhörande lagreglerade "
    "överenskommelser och lämnar härmed följande yttrande.",
    "Kommunstyrelsen beslutade 2025-04-10, § 45, att ställa sig bakom yttrandet.",
    "Sammanfattning",
    "Kommunen instämmer i huvudsak i förslaget men vill särskilt lyfta behovet av tydligare ansvarsfördelning "
    "kring vård i hemmet, läkarmedverkan och hjälpmedel. Vi ser positivt på den gemensamma värdegrunden och på "
    "att avtalet utgår från god och nära vård.",
]
LETTER_TABLE = [("Avsnitt", "Synpunkt"), ("3.2", "Inskrivningskriterierna behöver förtydligas.")]
LETTER_END = ["Med vänliga hälsningar", "Anna Andersson, kommunstyrelsens ordförande"]


@pytest.fixture(scope="module")
def letter(tmp_path_factory) -> Path:
    document = docx.Document()
    document.add_heading(LETTER[0], 1)
    for text in LETTER[1:]:
        document.add_paragraph(text)
    table = document.add_table(rows=len(LETTER_TABLE), cols=2)
    for r, row in enumerate(LETTER_TABLE):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    for text in LETTER_END:
        document.add_paragraph(text)
    path = tmp_path_factory.mktemp("letter") / "lerum-yttrande.docx"
    document.save(path)
    return path


def test_a_word_letter_reads_as_its_paragraphs_with_table_rows_as_lines(letter):
    rows = [" | ".join(row) for row in LETTER_TABLE]
    assert read_letter(letter) == "\n\n".join([*LETTER, *rows, *LETTER_END])


@pytest.mark.client
def test_a_pdf_letter_reads_to_the_same_text_as_the_word_letter(letter, tmp_path):
    soffice = require_client("soffice")
    result = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                             "--norestore", "--convert-to", "pdf", "--outdir", str(tmp_path), str(letter)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    from_pdf = read_letter(tmp_path / "lerum-yttrande.pdf")
    rows = [" ".join(row) for row in LETTER_TABLE]  # a PDF has no cell borders in its text
    assert from_pdf == "\n\n".join([*LETTER, *rows, *LETTER_END])
    assert from_pdf.split() == read_letter(letter).replace(" | ", " ").split()


def test_a_yaml_file_is_not_read_as_a_letter(tmp_path):
    path = tmp_path / "svar.yaml"
    path.write_text("round: remiss-2025\n", encoding="utf-8")
    with pytest.raises(untrusted.UntrustedFileError):
        read_letter(path)


@pytest.mark.parametrize(("text", "body", "day", "paragraph"), [
    ("Kommunstyrelsen beslutade 2025-04-10, § 45, att ställa sig bakom yttrandet.",
     "Kommunstyrelsen", dt.date(2025, 4, 10), "§ 45"),
    ("Kommunstyrelsen har vid sitt sammanträde den 10 april 2025 (§ 45) beslutat att lämna följande yttrande.",
     "Kommunstyrelsen", dt.date(2025, 4, 10), "§ 45"),
    ("Beslutat av kommunstyrelsens arbetsutskott 2025-04-03 § 12.",
     "Kommunstyrelsens arbetsutskott", dt.date(2025, 4, 3), "§ 12"),
    ("Förbundsstyrelsen för Fyrbodals kommunalförbund beslutade den 3 april 2025 att anta yttrandet.",
     "Förbundsstyrelsen", dt.date(2025, 4, 3), None),
    ("Protokollsutdrag\n\nRegionstyrelsen 2025-04-08, 112 §\n\nYttrandet antas.",
     "Regionstyrelsen", dt.date(2025, 4, 8), "§ 112"),
])
def test_a_letter_says_who_decided_it(text, body, day, paragraph):
    decided = letter_decided_by(text)
    assert decided is not None and (decided.body, decided.date, decided.paragraph) == (body, day, paragraph)


@pytest.mark.parametrize("text", [
    "Anna Andersson, kommunstyrelsens ordförande",
    "Vi har inga synpunkter på förslaget.",
    "Socialnämnden beslutade 2025-13-45.",  # no such date
])
def test_a_letter_without_a_dated_decision_names_no_decider(text):
    assert letter_decided_by(text) is None

