"""YAML reading: positions kept, and what PyYAML would hide or crash on reported as problems."""

from __future__ import annotations

from avtal.model.problems import Location, Problems
from avtal.model.yamlfile import load_yaml, path_str


def only(problems, file):
    """The one problem of a file (a test fixture breaks one thing)."""
    found = [p for p in problems if p.location.file == file]
    assert len(found) == 1, [str(p) for p in problems]
    return found[0]


def test_it_keeps_the_line_and_column_of_every_key_and_value():
    text = "title: Avtal\nsections:\n  - id: a\n    title: Första\n"
    problems = Problems()
    source = load_yaml(text, "x.yaml", problems)
    assert not problems.items
    assert source.data == {"title": "Avtal", "sections": [{"id": "a", "title": "Första"}]}
    assert source.location(("sections", 0, "title")) == Location("x.yaml", 4, 12)
    assert source.location(("sections", 0, "title"), key=True) == Location("x.yaml", 4, 5)
    # a path that does not exist falls back to its nearest existing parent
    assert source.location(("sections", 0, "text")) == Location("x.yaml", 3, 5)


def test_it_locates_a_needle_inside_a_value():
    text = "text: |\n  Första raden.\n  Se {ref:nope} här.\n"
    source = load_yaml(text, "x.yaml", Problems())
    assert source.location(("text",), needle="{ref:nope") == Location("x.yaml", 3, 6)


def test_it_names_key_paths_as_a_drafter_reads_them():
    assert path_str(("sections", 2, "clauses", 0, "title")) == "sections[2].clauses[0].title"
    assert path_str(()) == ""


def test_it_reports_a_yaml_syntax_error_with_line_and_column(tree):
    name = "documents/munhalsa.yaml"
    tree.edit(name, "    title: Inledning\n", "    title: Inledning: mer\n")
    line, column = tree.position(name, "Inledning: mer")
    corpus, problems = tree.load()
    assert corpus is None
    problem = only(problems, tree.shown(name))
    assert (problem.location.line, problem.location.column) == (line, column + len("Inledning"))
    assert problem.message.startswith("YAML syntax error: mapping values are not allowed")


def test_it_reports_a_duplicate_key_that_yaml_would_silently_drop(tree):
    name = "documents/munhalsa.yaml"
    tree.edit(name, "short_title: Munhälsa\n", "short_title: Munhälsa\nshort_title: Tänder\n")
    first, _ = tree.position(name, "short_title:")
    second, column = tree.position(name, "short_title:", nth=2)
    corpus, problems = tree.load()
    assert corpus is None
    problem = only(problems, tree.shown(name))
    assert (problem.location.line, problem.location.column) == (second, column)
    assert f"duplicate key 'short_title' (first defined at line {first})" in problem.message
    assert problem.where == "short_title"


def test_it_reports_a_date_that_does_not_exist_instead_of_crashing(tree):
    name = "documents/munhalsa.yaml"
    tree.edit(name, "valid_from: 2027-01-01", "valid_from: 2027-13-01")
    corpus, problems = tree.load()
    problem = only(problems, tree.shown(name))
    assert (problem.location.line, problem.location.column) == tree.position(name, "2027-13-01")
    assert problem.message == "wrong type: expected a date (YYYY-MM-DD), got text '2027-13-01'"


def test_it_reports_a_yaml_tag_instead_of_crashing(tree):
    name = "documents/munhalsa.yaml"
    tree.edit(name, "diarienummer: RS 2024-01187", "diarienummer: !dnr RS 2024-01187")
    corpus, problems = tree.load()
    assert corpus is None
    problem = only(problems, tree.shown(name))
    assert (problem.location.line, problem.location.column) == tree.position(name, "!dnr")
    assert "unsupported YAML tag '!dnr'" in problem.message


def test_it_reports_a_file_that_is_not_utf8(tree):
    name = "documents/munhalsa.yaml"
    (tree.sources / name).write_bytes(tree.text(name).encode("latin-1"))
    corpus, problems = tree.load()
    problem = only(problems, tree.shown(name))
    assert problem.message.startswith("not UTF-8 text")
