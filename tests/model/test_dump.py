"""Writing sources back: the house style, and load → dump → load giving the same corpus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from avtal.model.jsonschema import ALL_SCHEMAS
from avtal.model import load, schema
from avtal.model.dump import dump, dump_document, dump_glossary, dump_package, dump_sources, dump_statutes
from avtal.model.problems import Problems
from avtal.model.validate import adapter, validate
from avtal.model.yamlfile import load_yaml
from tests.conftest import SOURCES

DATE = dt.date(2027, 1, 1)


def small_document(**changes) -> schema.Document:
    fields = dict(
        id="munhalsa",
        title="Överenskommelse om samverkan Munhälsa",
        short_title="Munhälsa",
        kind="överenskommelse",
        legal_basis=(schema.StatuteRef(law="tandvardslagen", section="8 a"),
                     schema.StatuteRef(law="hsl", chapter=16, section=1)),
        valid_from=DATE,
        status="arbetsutkast",
        version_date=dt.date(2025, 1, 30),
        diarienummer="RS 2024-01187",
        sections=(
            schema.Clause(
                id="mun.inledning", title="Inledning", text="Första stycket.\n\n- en punkt\n  fortsätter\n",
                clauses=(schema.Clause(
                    id="mun.syfte", title="Syfte", text="Ett stycke.\n",
                    table=schema.Table(caption="Ansvar", header=("Insats", "Regionen"),
                                       rows=(("Munhälsobedömning", "Ansvarar, utför"),))),)),
            schema.Clause(id="mun.ansvar", title="Ansvar", text="En rad utan radbrytning"),
        ),
    )
    return schema.Document(**{**fields, **changes})


def test_it_writes_a_document_in_the_house_style():
    assert dump_document(small_document()) == """\
# yaml-language-server: $schema=../schema/document.schema.json
id: munhalsa
title: Överenskommelse om samverkan Munhälsa
short_title: Munhälsa
kind: överenskommelse
legal_basis:
  - {law: tandvardslagen, section: "8 a"}
  - {law: hsl, chapter: 16, section: 1}
valid_from: 2027-01-01
status: arbetsutkast
version_date: 2025-01-30
diarienummer: RS 2024-01187

sections:
  - id: mun.inledning
    title: Inledning
    text: |
      Första stycket.

      - en punkt
        fortsätter
    clauses:
      - id: mun.syfte
        title: Syfte
        text: |
          Ett stycke.
        table:
          caption: Ansvar
          header: [Insats, Regionen]
          rows:
            - [Munhälsobedömning, "Ansvarar, utför"]

  - id: mun.ansvar
    title: Ansvar
    text: En rad utan radbrytning
"""


def test_optional_fields_are_written_in_schema_order_when_set():
    doc = small_document(subtitle="Underrubrik", valid_to=dt.date(2030, 12, 31), preamble="Inledande text.\n")
    keys = [line.split(":")[0] for line in dump(doc).splitlines()[1:] if line[:1].isalpha()]
    assert keys == ["id", "title", "subtitle", "short_title", "kind", "legal_basis", "valid_from", "valid_to",
                    "status", "version_date", "diarienummer", "preamble", "sections"]
    assert "valid_to: 2030-12-31\n" in dump(doc)
    assert "preamble: |\n  Inledande text.\n" in dump(doc)


def test_it_writes_the_glossary_statutes_and_package():
    glossary = schema.Glossary(terms=(
        schema.Term(id="vard-i-hemmet", term="vård i hemmet", definition="Vård i bostaden.", replaces=("hemsjukvård",)),
        schema.Term(id="sip", term="samordnad individuell plan", abbreviation="SIP", definition="En plan.\n"),
    ))
    assert dump_glossary(glossary) == """\
# yaml-language-server: $schema=schema/terms.schema.json
terms:
  - id: vard-i-hemmet
    term: vård i hemmet
    definition: Vård i bostaden.
    replaces: [hemsjukvård]
  - id: sip
    term: samordnad individuell plan
    abbreviation: SIP
    definition: |
      En plan.
"""
    statutes = schema.Statutes(statutes=(
        schema.Statute(id="hsl", name="hälso- och sjukvårdslagen", sfs="2017:30", chapters=True),
        schema.Statute(id="lss", name="lagen om stöd och service", sfs="1993:387", chapters=False,
                       url="https://www.riksdagen.se/lss"),
    ))
    assert dump_statutes(statutes) == """\
# yaml-language-server: $schema=schema/statutes.schema.json
statutes:
  - id: hsl
    name: hälso- och sjukvårdslagen
    sfs: "2017:30"
    chapters: true
  - id: lss
    name: lagen om stöd och service
    sfs: "1993:387"
    chapters: false
    url: https://www.riksdagen.se/lss
"""
    package = schema.Package(title="Avtal", documents=("huvudavtal", "munhalsa"))
    assert dump_package(package) == """\
# yaml-language-server: $schema=schema/package.schema.json
title: Avtal
documents:
  - huvudavtal
  - munhalsa
"""


def test_one_value_used_twice_is_written_twice_not_as_an_alias():
    text = dump(small_document(valid_from=DATE, version_date=DATE))
    assert "&" not in text and "*id" not in text
    assert text.count("2027-01-01") == 2


def test_only_source_files_can_be_dumped():
    with pytest.raises(TypeError, match="cannot dump Clause"):
        dump(schema.Clause(id="a", title="A", text="x"))


TRICKY = [
    "slutar med två radbrytningar\n\n",
    "  inleds med mellanslag\nrad två\n",
    "avslutande mellanslag \nrad två\n",
    "tabb\there\n",
    "ingen radbrytning\nsist",
    "a\n- id: inte.en.klausul\n",
    "\nbörjar med tom rad\n",
    "# inte en kommentar\n",
    "...\n",
    "---\n",
    "rad\n...\nrad\n",
    "x: y\n",
    "'citat' och \"citat\"\n",
    "radbrytning\u2028unicode\n",
    "123",
    "true",
    "2027-01-01",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_any_text_survives_a_round_trip(text):
    doc = small_document(
        preamble=text,
        sections=(
            schema.Clause(id="a", title="A", text=text),
            schema.Clause(id="b", title="B", text=text,
                          table=schema.Table(header=("h", "i"), rows=((text, "x"),))),
            schema.Clause(id="c", title="C", text=text),
        ),
    )
    written = dump(doc)
    assert adapter(schema.Document).validate_python(yaml.safe_load(written)) == doc
    problems = Problems()
    assert validate(schema.Document, load_yaml(written, "x.yaml", problems), problems) == doc
    assert not problems.items
    glossary = schema.Glossary(terms=(schema.Term(id="t", term=text or "t", definition=text),))
    assert adapter(schema.Glossary).validate_python(yaml.safe_load(dump(glossary))) == glossary


# ---- whole trees ----------------------------------------------------------

def _subject(request, tree) -> tuple[Path, Path]:
    """(root, sources) of the tree to round-trip.

    "sources" is the real sources when they load without errors; while
    content is still being written and they do not, the fixture tree stands
    in (test_real_sources_load_without_errors reports that case).
    """
    if request.param == "sources":
        corpus, problems = load(SOURCES, root=SOURCES.parent)
        if corpus is not None:
            return SOURCES.parent, SOURCES
    return tree.root, tree.sources


@pytest.fixture(params=["fixture", "sources"])
def subject(request, tree):
    return _subject(request, tree)


def test_load_dump_load_gives_an_equal_corpus(subject, tmp_path):
    root, sources = subject
    before, problems = load(sources, root=root)
    assert before is not None, [str(p) for p in problems]
    out = tmp_path / "copy"
    dump_sources(before, out / "sources")
    after, problems = load(out / "sources", root=out)
    assert [str(p) for p in problems.errors] == []
    assert after == before
    assert after.documents == before.documents and after.terms == before.terms
    assert after.statutes == before.statutes and after.package == before.package


def test_dumping_is_byte_stable(subject, tmp_path):
    root, sources = subject
    first = tmp_path / "first" / "sources"
    second = tmp_path / "second" / "sources"
    dump_sources(load(sources, root=root)[0], first)
    dump_sources(load(first, root=first.parent)[0], second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_corpus_compares_unequal_when_content_differs(tree, tmp_path):
    before, _ = tree.load()
    tree.edit("documents/munhalsa.yaml", "Andra steget", "Tredje steget")
    after, _ = tree.load()
    assert after != before


def test_dump_sources_writes_a_complete_tree_with_working_schema_lines(tree, tmp_path):
    corpus, _ = tree.load()
    out = tmp_path / "out"
    written = dump_sources(corpus, out)
    names = sorted(str(p.relative_to(out)) for p in written)
    assert names == sorted([
        "avtal.yaml", "terms.yaml", "statutes.yaml", "documents/huvudavtal.yaml", "documents/munhalsa.yaml",
        *(f"schema/{name}.schema.json" for name in ALL_SCHEMAS),  # every schema, so later files validate too
    ])
    for path in written:
        if path.suffix == ".yaml":
            first = path.read_text(encoding="utf-8").splitlines()[0]
            assert first.startswith("# yaml-language-server: $schema=")
            assert (path.parent / first.split("=", 1)[1]).is_file(), first
    assert not list(out.rglob(".*.tmp")), "no temporary files left behind"


def test_dump_sources_accepts_the_models_themselves(tmp_path):
    package = schema.Package(title="Avtal", documents=("munhalsa",))
    glossary = schema.Glossary(terms=(schema.Term(id="egenvard", term="egenvård", definition="Vård själv."),))
    statutes = schema.Statutes(statutes=(schema.Statute(id="hsl", name="hsl", sfs="2017:30", chapters=True,
                                                        unchecked="no snapshot in this test"),))
    doc = small_document(
        legal_basis=(),
        sections=(schema.Clause(id="mun.a", title="A", text="Om {term:egenvard} enligt {lag:hsl 16 kap.}."),))
    dump_sources([doc, statutes, glossary, package], tmp_path / "sources", schemas=False)
    corpus, problems = load(tmp_path / "sources", root=tmp_path)
    assert [str(p) for p in problems if p.severity != "note"] == []  # the note: hsl's citation is not checked
    assert corpus.document("munhalsa").source == doc
    assert not (tmp_path / "sources" / "schema").exists()


def test_dump_sources_refuses_documents_the_package_does_not_list(tmp_path):
    package = schema.Package(title="Avtal", documents=("huvudavtal",))
    glossary = schema.Glossary(terms=(schema.Term(id="t", term="t", definition="d"),))
    statutes = schema.Statutes(statutes=(schema.Statute(id="hsl", name="hsl", sfs="2017:30", chapters=True),))
    with pytest.raises(ValueError, match="do not match those listed in avtal.yaml"):
        dump_sources([package, glossary, statutes, small_document()], tmp_path)
    with pytest.raises(ValueError, match="needs Statutes"):
        dump_sources([package, glossary], tmp_path)
    assert not list(tmp_path.iterdir())
