"""Schema validation: each error says where, what was expected, and what was probably meant."""

from __future__ import annotations

from avtal.model import schema
from avtal.model.problems import Problems
from avtal.model.validate import validate
from avtal.model.yamlfile import load_yaml

DOC = "documents/munhalsa.yaml"


def problems_of(problems, file):
    return [p for p in problems if p.location.file == file]


def only(problems, file, containing=""):
    found = [p for p in problems_of(problems, file) if containing in p.message]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def at(problem):
    return problem.location.line, problem.location.column


def test_the_fixture_tree_is_valid(tree):
    corpus, problems = tree.load()
    assert [str(p) for p in problems] == []
    assert corpus is not None


def test_it_suggests_the_key_that_was_meant_for_an_unknown_key(tree):
    tree.edit(DOC, "    title: Inledning\n", "    titel: Inledning\n")
    corpus, problems = tree.load()
    assert corpus is None
    problem = only(problems, tree.shown(DOC), "unknown key")
    assert at(problem) == tree.position(DOC, "titel")
    assert problem.message.startswith("unknown key 'titel': did you mean 'title'?")
    assert problem.where == "mun.inledning"
    # the key it replaced is missing too, and said so separately
    assert "missing required field 'title'" in only(problems, tree.shown(DOC), "missing").message


def test_it_gives_no_suggestion_when_nothing_is_close(tree):
    tree.edit(DOC, "status: arbetsutkast\n", "status: arbetsutkast\nzzz: 1\n")
    problem = only(tree.load()[1], tree.shown(DOC))
    assert "did you mean" not in problem.message
    assert problem.message.startswith("unknown key 'zzz': expected one of: id, title, subtitle, short_title")


def test_it_reports_a_value_of_the_wrong_type_with_what_was_expected(tree):
    tree.edit(DOC, "valid_from: 2027-01-01", "valid_from: soon")
    problem = only(tree.load()[1], tree.shown(DOC))
    assert at(problem) == tree.position(DOC, "soon")
    assert problem.message == "wrong type: expected a date (YYYY-MM-DD), got text 'soon'"


def test_it_reports_a_non_boolean_chapters_flag(tree):
    tree.edit("statutes.yaml", "chapters: false", "chapters: maybe")
    problem = only(tree.load()[1], tree.shown("statutes.yaml"))
    assert at(problem) == tree.position("statutes.yaml", "maybe")
    assert problem.message == "wrong type: expected true or false, got text 'maybe'"
    assert problem.where == "lss"


def test_it_reports_a_value_outside_the_allowed_words(tree):
    tree.edit(DOC, "kind: överenskommelse", "kind: avtal")
    problem = only(tree.load()[1], tree.shown(DOC))
    assert at(problem) == tree.position(DOC, "avtal\n")
    assert problem.message.startswith("'avtal' is not allowed here: expected 'huvudavtal', 'ramavtal'")


def test_it_reports_a_missing_required_field_at_its_mapping(tree):
    tree.edit(DOC, "short_title: Munhälsa\n", "")
    problem = only(tree.load()[1], tree.shown(DOC))
    # the document mapping starts at its first key
    assert at(problem) == tree.position(DOC, "id: munhalsa")
    assert problem.message == "missing required field 'short_title' (Shown in page headers.)"


def test_it_reports_a_missing_field_of_a_nested_clause_with_the_clause_id(tree):
    tree.edit(DOC, "        title: Regionens ansvar\n", "")
    problem = only(tree.load()[1], tree.shown(DOC))
    assert at(problem) == tree.position(DOC, "id: mun.ansvar.region")
    assert problem.message.startswith("missing required field 'title'")
    assert problem.where == "mun.ansvar.region"


def test_it_reports_a_malformed_id(tree):
    tree.edit(DOC, "id: mun.ansvar.region", "id: Vård-i-hemmet")
    problem = only(tree.load()[1], tree.shown(DOC))
    assert at(problem) == tree.position(DOC, "Vård-i-hemmet")
    assert problem.message.startswith("malformed id 'Vård-i-hemmet': expected lowercase a-z, 0-9, hyphens and dots")


def test_it_reports_a_malformed_sfs_number(tree):
    tree.edit("statutes.yaml", '"1993:387"', '"1993-387"')
    problem = only(tree.load()[1], tree.shown("statutes.yaml"))
    assert at(problem) == tree.position("statutes.yaml", '"1993-387"')
    assert problem.message.startswith("'1993-387' has the wrong form")


def test_it_reports_an_empty_list_where_one_item_is_needed():
    problems = Problems()
    source = load_yaml("title: Paket\ndocuments: []\n", "avtal.yaml", problems)
    assert validate(schema.Package, source, problems) is None
    [problem] = problems.items
    assert (problem.location.line, problem.location.column) == (2, 12)
    assert problem.message == "must not be empty: expected at least one item"


def test_it_reports_every_error_of_a_file_not_just_the_first(tree):
    tree.edit(DOC, "valid_from: 2027-01-01", "valid_from: soon")
    tree.edit(DOC, "kind: överenskommelse", "kind: avtal")
    found = problems_of(tree.load()[1], tree.shown(DOC))
    assert sorted(p.location.line for p in found) == sorted(
        [tree.position(DOC, "soon")[0], tree.position(DOC, "kind: avtal")[0]])


def test_it_returns_the_model_for_valid_data(tree):
    problems = Problems()
    text = (tree.sources / "statutes.yaml").read_text(encoding="utf-8")
    statutes = validate(schema.Statutes, load_yaml(text, "statutes.yaml", problems), problems)
    assert not problems.items
    assert [(s.id, s.chapters, s.sfs) for s in statutes.statutes] == [("hsl", True, "2017:30"), ("lss", False, "1993:387")]
