"""The missiv: every party's letter names the party, the dnr and the deadline, in Word and in an accessible PDF.

Letters are read with python-docx and pypdf (text) and pikepdf (PDF/UA structure).
Expected values come from parter.yaml and the round file.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import docx
import pikepdf
import pypdf
import pytest
from lxml import etree

from avtal.model.problems import Problems
from avtal.remiss.outgoing.missiv import check_missiv_template, render_missiv_per_letter
from avtal.remiss.outgoing.pack import Loaded, pack_round, pack_time, party_context, round_context
from avtal.remiss.outgoing.template_design import design_missiv
from avtal.remiss.outgoing.templates import FORM, MISSIV, MISSIV_REQUIRED, check_template
from avtal.render import wording
from avtal.render.house import TEMPLATES

from ..forms import Packed, packed

ROUND = "remiss-2025"
# What readers see (never the slugs): the round has no `name`, so 'Remiss' and its sent date; version
# remiss-2025 has no title, so its status and date from its version.yaml.
ROUND_NAME = "Remiss 2025-01-30"
VERSION_NAME = "Remissversion 2025-01-30"


@pytest.fixture(scope="session")
def pack() -> Packed:
    return packed(ROUND)


def word_text(path: Path) -> str:
    document = docx.Document(str(path))
    return "\n".join([p.text for p in document.paragraphs] + [p.text for p in document.sections[0].header.paragraphs])


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages).split())


def test_every_missiv_names_its_party_the_dnr_and_the_deadline_in_word_and_pdf(pack: Packed):
    r = pack.info.source
    deadline = wording.long_date(r.deadline)
    assert deadline == "9 maj 2025"
    for party in pack.info.recipients:
        word = word_text(pack.missiv(party.id, ".docx"))
        pdf = pdf_text(pack.missiv(party.id, ".pdf"))
        assert [line for line in word.split("\n") if line.startswith("Till: ")] == [f"Till: {party.name}"]
        flat = " ".join(word.split())
        assert r.diarienummer in flat and deadline in flat
        assert f"Till: {party.name}" in pdf and r.diarienummer in pdf and deadline in pdf


def test_the_missiv_says_where_and_how_to_answer_and_whom_to_ask(pack: Packed):
    r = pack.info.source
    party = pack.party("boras")
    text = " ".join(word_text(pack.missiv("boras", ".docx")).split())
    assert r.reply_to and r.reply_to in text
    assert f"Ange diarienummer {r.diarienummer} och {party.name} i ämnesraden" in text
    assert f"Remissvar {ROUND_NAME} – {party.name}.docx" in text and f"Remissvar {ROUND_NAME} – {party.name}.pdf" in text
    assert f"Svarsformulär {ROUND_NAME} – {party.name}.docx" in text
    for contact in r.contacts:
        assert contact.name in text and contact.email in text
    for question in r.letter.questions:
        assert question in text
    for doc_id in pack.info.documents:
        assert pack.corpus.document(doc_id).title in text
    assert r.sender.name in text and r.sender.organisation in text
    assert wording.long_date(r.sent) in text
    assert " ".join(r.letter.intro.split("\n\n")[0].split()) in text


def test_the_missiv_asks_for_a_konsekvensanalys_and_says_answers_are_allmanna_handlingar(pack: Packed):
    for who in ("boras", "vastkom"):
        word = " ".join(word_text(pack.missiv(who, ".docx")).split())
        pdf = pdf_text(pack.missiv(who, ".pdf"))
        for text in (word, pdf):
            assert "Konsekvensanalys" in text
            assert "ekonomiska konsekvenser" in text and "konsekvenser för barn och unga" in text
            assert "barnkonventionen (lag 2018:1197)" in text
            assert "Remissvaren är allmänna handlingar" in text
            assert "allmän handling när det har kommit in (2 kap. 4 och 9 §§ tryckfrihetsförordningen)" in text
            assert "offentlighets- och sekretesslagen (2009:400)" in text


def test_every_missiv_carries_the_remisslista_parties_and_other_remissinstanser_apart(pack: Packed):
    import yaml

    from ...conftest import SOURCES

    book = yaml.safe_load((SOURCES / "parter.yaml").read_text(encoding="utf-8"))
    round_file = yaml.safe_load((SOURCES / "remiss" / f"{ROUND}.yaml").read_text(encoding="utf-8"))
    others = [x for x in (*book["kommunalforbund"], *book["organisations"])
              if x["id"] in round_file["other_recipients"]]
    assert {x["id"] for x in others} >= {"fyrbodal", "skaraborg", "sjuharad", "gr", "vastkom"}
    assert any(x.get("kind") == "anhörigorganisation" for x in others)
    lines = word_text(pack.missiv("skaraborg", ".docx")).split("\n")
    start = lines.index("Remisslista")
    listing = lines[start:lines.index("Bilagor")]
    assert f"avtalets {len(book['parties'])} parter och till {len(others)} remissinstanser som inte är parter" \
        in listing[1]
    text = "\n".join(listing)
    for party in book["parties"]:
        assert party["name"] in text
    for group in book["kommunalforbund"]:
        members = [p["name"] for p in book["parties"] if p.get("kommunalforbund") == group["id"]]
        assert f"Kommuner i {group['name']}: {', '.join(members)}" in listing
    for other in others:
        shown = other["name"] + (" (exempel)" if other.get("name_placeholder") else "")
        assert shown in text
    (orgs,) = [line for line in listing if line.startswith("Brukar- och anhörigorganisationer (16 kap. 3 §")]
    assert all(o["name"] in orgs for o in others if o.get("kind") in ("brukarorganisation", "anhörigorganisation"))


def test_the_missiv_pdf_is_pdf_ua_1_with_its_title_and_swedish(pack: Packed):
    for party_id in ("vgr", "boras", "ockero"):
        party = pack.party(party_id)
        with pikepdf.open(pack.missiv(party_id, ".pdf")) as pdf:
            assert str(pdf.Root.Lang) == "sv-SE"
            assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
            assert pdf.Root.ViewerPreferences.DisplayDocTitle
            meta = pdf.open_metadata()
            assert str(meta.get("dc:title")) == f"Missiv {ROUND_NAME} – {party.name}"
            assert meta.get("pdfuaid:part") == "1"
            tags = {str(e.get("/S")) for e in _struct(pdf.Root.StructTreeRoot)}
            assert {"/H1", "/H2", "/L", "/LI"} <= tags


def _struct(node, depth: int = 0):
    kids = node.get("/K")
    if kids is None or depth > 30:
        return
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            yield from _struct(kid, depth + 1)


def test_the_missiv_word_file_is_titled_and_in_swedish(pack: Packed):
    document = docx.Document(str(pack.missiv("boras", ".docx")))
    assert document.core_properties.title == f"Missiv {ROUND_NAME} – Borås Stad"
    assert document.core_properties.language == "sv-SE"
    sent = pack.info.source.sent  # the letter is dated when it is sent (SOURCE_DATE_EPOCH overrides it)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    expected = (dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else
                dt.datetime(sent.year, sent.month, sent.day, tzinfo=dt.timezone.utc))
    assert document.core_properties.modified == expected


def c14n(data: bytes, part: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        root = etree.fromstring(z.read(part))
    return etree.tostring(root, method="c14n")


def test_rendering_once_per_round_gives_each_party_the_letter_docxtpl_gives_it(pack: Packed):
    """The fast path (one rendering, values substituted) equals docxtpl re-reading the template per letter."""
    source = pack.info.source
    names = pack.names
    loaded = Loaded(pack.info, pack.corpus, pack.checksum, None, VERSION_NAME)
    shared = [n for n in sorted(p.name for p in (pack.folder / "vgr").iterdir()) if n[0].isdigit()]
    base = round_context(loaded, names, None)
    when = pack_time(source.sent)
    for party_id in ("vgr", "dals-ed"):
        ctx = party_context(base, loaded, names, pack.party(party_id), shared)
        word, pdf = render_missiv_per_letter(MISSIV, ctx, when, source.sender.organisation, ROUND_NAME)
        ours = pack.missiv(party_id, ".docx").read_bytes()
        assert c14n(word, "word/document.xml") == c14n(ours, "word/document.xml")
        assert c14n(word, "docProps/core.xml") == c14n(ours, "docProps/core.xml")
        theirs = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
                          .split())
        assert theirs == pdf_text(pack.missiv(party_id, ".pdf"))


def test_the_committed_templates_use_only_known_fields_and_print_party_values_plainly():
    problems = Problems()
    info = check_missiv_template(MISSIV, problems)
    assert not problems.items, [str(p) for p in problems]
    assert info is not None and info.substitutable  # so packing renders the letter once per round
    assert {u.path for u in info.uses} >= set(MISSIV_REQUIRED)


def test_the_generator_writes_templates_that_check_clean(tmp_path: Path):
    design_missiv().save(str(tmp_path / "missiv.docx"))
    problems = Problems()
    info = check_template(tmp_path / "missiv.docx", MISSIV_REQUIRED, problems)
    assert not problems.items and info is not None and info.substitutable
    assert FORM.exists()


def test_a_template_with_a_condition_on_the_party_still_gives_each_party_its_own_letter(sources, templates,
                                                                                     tmp_path: Path):
    """A per-party condition cannot be rendered once: each letter is rendered on its own, with the same result."""
    document = docx.Document(str(templates / "missiv.docx"))
    for text in ("{%p if party.kind == 'region' %}", "Regionen ombeds särskilt svara på fråga 2.", "{%p endif %}"):
        document.add_paragraph(text)
    document.save(str(templates / "missiv.docx"))
    problems = Problems()
    info = check_missiv_template(templates / "missiv.docx", problems)
    assert not problems.items and info is not None and not info.substitutable
    pack_round(sources, ROUND, tmp_path / "dist", templates=templates)
    folder = tmp_path / "dist" / "remiss" / ROUND
    region = word_text(folder / "vgr" / f"Missiv {ROUND_NAME} – Västra Götalandsregionen.docx")
    kommun = word_text(folder / "boras" / f"Missiv {ROUND_NAME} – Borås Stad.docx")
    assert "Regionen ombeds särskilt" in region and "Regionen ombeds särskilt" not in kommun
    region_pdf = pdf_text(folder / "vgr" / f"Missiv {ROUND_NAME} – Västra Götalandsregionen.pdf")
    assert "Regionen ombeds särskilt" in region_pdf
    assert "Till: Borås Stad" in kommun


def test_the_pack_date_is_the_sent_date_unless_source_date_epoch_is_set(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert pack_time(dt.date(2025, 1, 30)) == dt.datetime(2025, 1, 30, tzinfo=dt.timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert pack_time(dt.date(2025, 1, 30)) == dt.datetime.fromtimestamp(1700000000, dt.timezone.utc)
    assert TEMPLATES.exists()
