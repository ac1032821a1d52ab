"""The resolved corpus: numbering, lookups, and every check that needs more than one field or file."""

from __future__ import annotations

import re

import pytest

from avtal.model import load, schema
from avtal.model.text import BulletList, Cite, OrderedList, Para, Ref, Str, TermUse
from tests.conftest import SOURCES

HUVUD = "documents/huvudavtal.yaml"
MUN = "documents/munhalsa.yaml"


def only(problems, file, containing=""):
    found = [p for p in problems if p.location.file == file and containing in p.message]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def at(problem):
    return problem.location.line, problem.location.column


def value_position(tree, name, key_and_value):
    """Where the value of a `key: value` line starts."""
    line, column = tree.position(name, key_and_value)
    return line, column + key_and_value.index(":") + 2


# ---- numbering and lookups ------------------------------------------------

def test_it_numbers_clauses_from_their_position_at_three_levels(tree):
    corpus, _ = tree.load()
    labels = [(c.id, c.label) for c in corpus.document("huvudavtal").clauses()]
    assert labels == [
        ("inledning", "1"),
        ("inledning.syfte", "1.1"),
        ("inledning.syfte.barn", "1.1.1"),
        ("ansvar", "2"),
        ("ansvar.region", "2.1"),
        ("ansvar.region.lakare", "2.1.1"),
        ("ansvar.region.tandvard", "2.1.2"),
        ("ansvar.region.hjalpmedel", "2.1.3"),
        ("ansvar.kommun", "2.2"),
    ]
    third = corpus.clause("ansvar.region.hjalpmedel")
    assert (third.number, third.level, third.doc) == ((2, 1, 3), 3, "huvudavtal")


def test_numbers_follow_the_order_in_the_file_not_the_ids(tree):
    text = tree.text(HUVUD)
    inledning = text[text.index("  - id: inledning\n"):text.index("  - id: ansvar\n")]
    tree.write(HUVUD, text.replace(inledning, "") + inledning)
    corpus, problems = tree.load()
    assert not problems.errors
    assert corpus.clause("ansvar").label == "1"
    assert corpus.clause("inledning.syfte.barn").label == "2.1.1"


def test_it_looks_up_documents_clauses_terms_and_statutes(tree):
    corpus, _ = tree.load()
    assert [d.id for d in corpus.documents] == ["huvudavtal", "munhalsa"]
    assert corpus.document("munhalsa").title == "Överenskommelse om samverkan Munhälsa"
    assert corpus.document("munhalsa").source.kind == "överenskommelse"
    assert corpus.document("munhalsa").file == "sources/documents/munhalsa.yaml"
    assert corpus.clause("mun.ansvar.region").doc == "munhalsa"
    assert corpus.clause("mun.ansvar.region").title == "Regionens ansvar"
    assert corpus.term("sip").source.abbreviation == "SIP"
    assert corpus.statute("lss").chapters is False
    assert corpus.statute("hsl").sfs == "2017:30"
    assert corpus.package.documents == ("huvudavtal", "munhalsa")


@pytest.mark.parametrize("lookup", ["document", "clause", "term", "statute"])
def test_an_unknown_id_is_a_key_error(tree, lookup):
    corpus, _ = tree.load()
    with pytest.raises(KeyError):
        getattr(corpus, lookup)("finns-inte")


def test_clause_text_is_parsed(tree):
    corpus, _ = tree.load()
    syfte = corpus.clause("inledning.syfte")
    para, bullets = syfte.body
    assert isinstance(para, Para) and isinstance(bullets, BulletList)
    assert TermUse("vard-i-hemmet", "vården i hemmet") in para.inlines
    assert Cite("hsl", 16, "4") in para.inlines
    assert bullets.items == ((Str("en första punkt som fortsätter"),), (Str("en andra punkt"),))
    assert isinstance(corpus.clause("mun.inledning").body[1], OrderedList)
    assert corpus.clause("inledning.syfte.barn").body == (
        Para((Str("Barn ska uppmärksammas, se "), Ref("ansvar"), Str("."))),)
    table = corpus.clause("ansvar").table
    assert table.header == ("Insats", "Regionen", "Kommunen")
    assert table.rows[1] == ((Str("Planering"),), (Str("Upprättar "), TermUse("sip")), (Str("Medverkar"),))
    assert corpus.document("huvudavtal").preamble == (Para((Str("Avtalet gäller mellan regionen och kommunerna."),)),)
    assert corpus.term("sip").definition == (
        Para((Str("Plan som region och kommun upprättar enligt "), Cite("hsl", 16, "4"), Str("."))),)


# ---- ids --------------------------------------------------------------------

def test_it_reports_a_duplicate_id_within_a_document(tree):
    tree.edit(MUN, "id: mun.ansvar.region", "id: mun.inledning")
    corpus, problems = tree.load()
    assert corpus is None
    problem = only(problems, tree.shown(MUN))
    first = value_position(tree, MUN, "id: mun.inledning")
    assert at(problem) == value_position(tree, MUN, "id: mun.inledning\n        title")
    assert problem.message.startswith(
        f"duplicate id 'mun.inledning': already used at {tree.shown(MUN)}:{first[0]}:{first[1]};")
    assert "(document" not in problem.message


def test_it_reports_a_duplicate_id_across_documents(tree):
    tree.edit(MUN, "id: mun.ansvar.region", "id: ansvar.kommun")
    problem = only(tree.load()[1], tree.shown(MUN))
    first = value_position(tree, HUVUD, "id: ansvar.kommun")
    assert at(problem) == value_position(tree, MUN, "id: ansvar.kommun")
    assert problem.message.startswith(
        f"duplicate id 'ansvar.kommun': already used at {tree.shown(HUVUD)}:{first[0]}:{first[1]} (document huvudavtal)")


def test_it_reports_a_duplicate_term_id(tree):
    tree.edit("terms.yaml", "  - id: sip\n", "  - id: vard-i-hemmet\n")
    tree.edit(HUVUD, "{term:sip}", "SIP")
    tree.edit(MUN, "{term:sip}", "SIP")
    problem = only(tree.load()[1], tree.shown("terms.yaml"), "duplicate")
    first = value_position(tree, "terms.yaml", "id: vard-i-hemmet")
    assert at(problem) == value_position(tree, "terms.yaml", "id: vard-i-hemmet\n    term: samordnad")
    assert problem.message.startswith(
        f"duplicate term id 'vard-i-hemmet': already defined at sources/terms.yaml:{first[0]}:{first[1]}")


def test_it_reports_a_document_id_that_differs_from_its_file_name(tree):
    tree.edit(MUN, "id: munhalsa\n", "id: munhalsan\n")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert at(problem) == value_position(tree, MUN, "id: munhalsan")
    assert problem.message.startswith("document id 'munhalsan' differs from its file name: expected 'munhalsa'")


def test_it_reports_a_document_file_not_listed_in_the_package(tree):
    tree.write("documents/lakarinsatser.yaml", tree.text(MUN).replace("munhalsa", "lakarinsatser"))
    corpus, problems = tree.load()
    assert corpus is None
    problem = only(problems, tree.shown("documents/lakarinsatser.yaml"), "not listed")
    assert problem.message.startswith("document 'lakarinsatser' is not listed in avtal.yaml")


def test_it_reports_a_listed_document_without_a_file(tree):
    tree.edit("avtal.yaml", "  - munhalsa\n", "  - munhalsa\n  - lakarinsatser\n")
    problem = only(tree.load()[1], tree.shown("documents/lakarinsatser.yaml"))
    assert problem.message == ("missing file: 'lakarinsatser' is listed in avtal.yaml but "
                               "sources/documents/lakarinsatser.yaml does not exist")


# ---- references ---------------------------------------------------------------

def test_it_reports_a_dangling_cross_reference_and_suggests_the_id_meant(tree):
    tree.edit(MUN, "{ref:mun.inledning}", "{ref:mun.inledningen}")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert at(problem) == tree.position(MUN, "{ref:mun.inledningen}")
    assert problem.message.startswith("dangling cross-reference {ref:mun.inledningen}: no clause in any document")
    assert problem.message.endswith("did you mean 'mun.inledning'?")
    assert problem.where == "mun.ansvar.region"


def test_it_reports_a_qualified_reference_to_a_huvudavtal_clause_that_does_not_exist(tree):
    tree.edit(MUN, "{ref:huvudavtal:inledning.syfte}", "{ref:huvudavtal:nope}")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert at(problem) == tree.position(MUN, "{ref:huvudavtal:nope}")
    assert problem.message.startswith("refers to huvudavtal clause 'nope', which does not exist in huvudavtal")
    assert "dangling" not in problem.message


def test_a_qualified_reference_must_name_the_document_the_clause_is_in(tree):
    tree.edit(MUN, "{ref:huvudavtal:inledning.syfte}", "{ref:huvudavtal:mun.ansvar}")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert "which does not exist in huvudavtal; 'mun.ansvar' is in munhalsa" in problem.message


def test_it_reports_a_reference_to_an_unknown_document(tree):
    tree.edit(MUN, "{doc:huvudavtal}", "{doc:huvudavtalet}")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert at(problem) == tree.position(MUN, "{doc:huvudavtalet}")
    assert problem.message.startswith("{doc:huvudavtalet} names no document; did you mean 'huvudavtal'?")


def test_it_reports_a_dangling_term_use(tree):
    tree.edit(MUN, "{term:sip}", "{term:sipp}")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert at(problem) == tree.position(MUN, "{term:sipp}")
    assert problem.message == "dangling term use {term:sipp}: no such term in terms.yaml; did you mean 'sip'?"


def test_it_reports_an_unknown_statute(tree):
    tree.edit(MUN, "{lag:hsl 16 kap.}", "{lag:hsll 16 kap.}")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert at(problem) == tree.position(MUN, "{lag:hsll")
    assert problem.message == "unknown statute 'hsll': expected an id from statutes.yaml; did you mean 'hsl'?"


def test_it_reports_a_chapter_on_a_law_without_chapters(tree):
    tree.edit(HUVUD, "{lag:lss 9 §}", "{lag:lss 2 kap. 9 §}")
    problem = only(tree.load()[1], tree.shown(HUVUD))
    assert at(problem) == tree.position(HUVUD, "{lag:lss 2 kap.")
    assert problem.message.startswith("lagen om stöd och service till vissa funktionshindrade (lss) has no chapters")


def test_it_checks_structured_legal_basis_like_text_citations(tree):
    tree.edit(MUN, "{law: lss, section: 9}", "{law: lss, chapter: 2, section: 9}")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert at(problem) == tree.position(MUN, "{law: lss")
    assert "(lss) has no chapters" in problem.message


def test_it_reports_a_section_without_chapter_on_a_law_with_chapters(tree):
    tree.edit(HUVUD, "{lag:hsl 16 kap. 4 §}", "{lag:hsl 4 §}")
    problem = only(tree.load()[1], tree.shown(HUVUD))
    assert problem.message.startswith("hälso- och sjukvårdslagen (hsl) is divided into chapters")


def test_a_term_defined_but_never_used_is_a_warning(tree):
    tree.edit(HUVUD, "{term:sip}", "SIP")
    tree.edit(MUN, "{term:sip}", "SIP")
    corpus, problems = tree.load()
    assert corpus is not None and not problems.errors
    [warning] = problems.warnings
    assert warning.location.file == tree.shown("terms.yaml")
    assert at(warning) == value_position(tree, "terms.yaml", "id: sip")
    assert warning.message.startswith("term 'sip' is defined but never used")
    assert [p.severity for p in problems.strict()] == ["error"]


def test_a_term_used_only_in_another_terms_definition_counts_as_used(tree):
    tree.edit("terms.yaml", "Plan som region och kommun upprättar", "Plan för {term:vard-i-hemmet} som region och kommun upprättar")
    tree.edit(HUVUD, "{term:vard-i-hemmet|vården i hemmet}", "vården i hemmet")
    tree.edit(HUVUD, "Kommunen ansvarar för {term:vard-i-hemmet}", "Kommunen ansvarar för vård")
    tree.edit(MUN, "*stöd med {term:vard-i-hemmet}*", "*stöd*")
    assert not tree.load()[1].items


# ---- structure ---------------------------------------------------------------

def test_it_reports_empty_text(tree):
    tree.edit(MUN, "          Regionen ansvarar enligt {lag:hsl 16 kap.} och {ref:mun.inledning}.\n", "")
    tree.edit(MUN, "        text: |\n", '        text: ""\n')
    corpus, problems = tree.load()
    problem = only(problems, tree.shown(MUN), "empty")
    assert at(problem) == tree.position(MUN, '""')
    assert problem.message.startswith("empty text:")
    assert problem.where == "mun.ansvar.region"


def test_it_reports_an_empty_term_definition(tree):
    tree.edit("terms.yaml", "    definition: >-\n      Hälso- och sjukvård som ges i den enskildes bostad.\n",
              '    definition: "  "\n')
    problem = only(tree.load()[1], tree.shown("terms.yaml"), "empty")
    assert at(problem) == tree.position("terms.yaml", '"  "')
    assert problem.message == "empty text in 'definition': write the text, or remove the key"
    assert problem.where == "vard-i-hemmet"


def test_it_reports_an_empty_clause(tree):
    tree.edit(HUVUD, "            text: |\n              Regionen ansvarar för hjälpmedel.\n", "")
    problem = only(tree.load()[1], tree.shown(HUVUD))
    assert at(problem) == value_position(tree, HUVUD, "id: ansvar.region.hjalpmedel")
    assert problem.message == "clause 'ansvar.region.hjalpmedel' is empty: expected 'text', 'table' or 'clauses'"


def test_it_reports_a_table_row_with_the_wrong_number_of_cells(tree):
    tree.edit(HUVUD, "[Bedömning, Ansvarar, Medverkar]", "[Bedömning, Ansvarar]")
    problem = only(tree.load()[1], tree.shown(HUVUD))
    assert at(problem) == tree.position(HUVUD, "[Bedömning, Ansvarar]")
    assert problem.message == "table row has 2 cells: expected 3, one per header column"
    assert problem.where == "ansvar"


def test_it_reports_nesting_deeper_than_three_levels(tree):
    old = "              Barn ska uppmärksammas, se {ref:ansvar}.\n"
    tree.edit(HUVUD, old, old + "            clauses:\n              - id: inledning.syfte.barn.unga\n"
                                "                title: Unga\n                text: För djupt.\n")
    problem = only(tree.load()[1], tree.shown(HUVUD))
    assert at(problem) == value_position(tree, HUVUD, "id: inledning.syfte.barn.unga")
    assert problem.message.startswith("clause nested 4 levels deep: expected at most 3")


def test_it_reports_an_unknown_marker_and_suggests_the_right_one(tree):
    tree.edit(MUN, "{ref:mun.inledning}", "{reff:x}")
    problem = only(tree.load()[1], tree.shown(MUN))
    assert at(problem) == tree.position(MUN, "{reff:x}")
    assert problem.message.startswith("unknown marker '{reff:': expected one of {ref:, {doc:, {term:, {lag:")
    assert problem.message.endswith("did you mean '{ref:'?")


def test_it_reports_an_unclosed_marker(tree):
    tree.edit(MUN, "{doc:huvudavtal}", "{doc:huvudavtal")
    problem = only(tree.load()[1], tree.shown(MUN), "unclosed")
    assert at(problem) == tree.position(MUN, "{doc:huvudavtal")
    assert problem.message.startswith("unclosed marker '{doc:huvudavtal")


# ---- collection ---------------------------------------------------------------

def test_it_collects_every_error_across_files(tree):
    tree.edit(HUVUD, "[Bedömning, Ansvarar, Medverkar]", "[Bedömning, Ansvarar]")
    tree.edit(MUN, "{ref:mun.inledning}", "{ref:mun.inledningen}")
    tree.edit(MUN, "{lag:hsl 16 kap.}", "{lag:hsll 16 kap.}")
    corpus, problems = tree.load()
    assert corpus is None
    assert sorted((p.location.file, p.location.line, p.location.column) for p in problems.errors) == sorted([
        (tree.shown(HUVUD), *tree.position(HUVUD, "[Bedömning, Ansvarar]")),
        (tree.shown(MUN), *tree.position(MUN, "{ref:mun.inledningen}")),
        (tree.shown(MUN), *tree.position(MUN, "{lag:hsll")),
    ])


def test_a_syntax_error_in_one_file_does_not_hide_errors_in_others(tree):
    tree.edit("terms.yaml", "    term: vård i hemmet\n", "    term: [vård i hemmet\n")
    tree.edit(MUN, "    title: Inledning\n", "    titel: Inledning\n")
    tree.edit(HUVUD, "[Bedömning, Ansvarar, Medverkar]", "[Bedömning, Ansvarar]")
    problems = tree.load()[1]
    assert "YAML syntax error" in only(problems, tree.shown("terms.yaml")).message
    assert "did you mean 'title'" in only(problems, tree.shown(MUN), "unknown key").message
    assert "table row has 2 cells" in only(problems, tree.shown(HUVUD)).message


def test_problems_are_listed_in_file_and_line_order(tree):
    tree.edit(MUN, "{lag:hsl 16 kap.}", "{lag:hsll 16 kap.}")
    tree.edit(MUN, "{term:sip}", "{term:sipp}")
    tree.edit(HUVUD, "{ref:ansvar}", "{ref:ansvaret}")
    lines = [(p.location.file, p.location.line) for p in tree.load()[1]]
    assert lines == sorted(lines)
    assert re.match(r"sources/documents/huvudavtal\.yaml:\d+:\d+: error \[inledning\.syfte\.barn\]: dangling",
                    str(list(tree.load()[1])[0]))


def test_each_document_keeps_its_validated_source(tree):
    corpus, _ = tree.load()
    source = corpus.document("huvudavtal").source
    assert isinstance(source, schema.Document)
    assert source.legal_basis == (schema.StatuteRef(law="hsl", chapter=16, section=1),)
    assert str(source.valid_from) == "2027-01-01"


# ---- the real sources ----------------------------------------------------------

def test_real_sources_load_without_errors():
    corpus, problems = load(SOURCES, root=SOURCES.parent)
    assert [str(p) for p in problems.errors] == []
    assert corpus is not None
    assert [d.id for d in corpus.documents] == list(corpus.package.documents)
