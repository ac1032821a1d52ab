"""`avtal check` reports every problem in one run: a mistake in one part of a file hides nothing elsewhere.

Twelve realistic mistakes go into four files of the minimal tree at once: schema
errors beside reference errors in the same document, a glossary with a schema
error, and a document that is not valid YAML at all. Every one must be reported at
its own file:line:column (found in the fixture text, as `Tree.position` does),
nothing else may be reported as an error, and no "never used" warning may follow
from the broken document.
"""

from __future__ import annotations

from avtal.cli import main

HUVUD = "documents/huvudavtal.yaml"
MUN = "documents/munhalsa.yaml"
LAKARE = "documents/lakare.yaml"
TERMS = "terms.yaml"

BROKEN_DOC = """\
id: lakare
title: Läkare: fel
sections:
  - id: lak.finns
    title: Finns
    text: |
      Läkaren ska bistå vid {term:lakarinsats}.
"""


def inject(tree) -> None:
    tree.edit("avtal.yaml", "  - munhalsa\n", "  - munhalsa\n  - lakare\n")
    tree.write(LAKARE, BROKEN_DOC)
    tree.edit(TERMS, "    abbreviation: SIP\n", "    abbreviation: [SIP]\n")
    tree.edit(TERMS, "terms:\n", "terms:\n  - id: lakarinsats\n    term: läkarinsats\n    definition: Insats av läkare.\n")
    tree.edit(HUVUD, "kind: huvudavtal\n", "kind: huvudavtl\n")
    tree.edit(HUVUD, "            title: Tandvård\n", "            title: Tandvård\n            titel: Extra\n")
    tree.edit(HUVUD, "Barn ska uppmärksammas, se {ref:ansvar}.",
              "Barn ska uppmärksammas, se {ref:ansvar.komun} och {reff:ansvar}.")
    tree.edit(HUVUD, "- [Bedömning, Ansvarar, Medverkar]", "- [Bedömning, Ansvarar]")
    tree.edit(HUVUD, "Kommunen ansvarar för {term:vard-i-hemmet}.",
              "Kommunen ansvarar för {term:vard-i-hemet}, se {ref:lak.saknas}, {ref:lak.finns} och "
              "{ref:lakare:lak.borta}.")
    tree.edit(MUN, "valid_from: 2027-01-01", "valid_from: 2027-13-01")
    tree.edit(MUN, "      - id: mun.ansvar.region\n", "      - id: ansvar.kommun\n")
    tree.edit(MUN, "preciserar {ref:huvudavtal:inledning.syfte}", "preciserar {ref:huvudavtal:inledning.vuxna}")


def test_twelve_mistakes_in_four_files_are_all_reported_at_their_places(tree, capsys):
    inject(tree)

    def value(name: str, key_value: str) -> tuple[int, int]:
        line, column = tree.position(name, key_value)
        return line, column + key_value.index(":") + 2

    expected = {
        (HUVUD, *value(HUVUD, "kind: huvudavtl"), "'huvudavtl' is not allowed here"),
        (HUVUD, *tree.position(HUVUD, "titel: Extra"), "unknown key 'titel'"),
        (HUVUD, *tree.position(HUVUD, "{ref:ansvar.komun"), "dangling cross-reference {ref:ansvar.komun}"),
        (HUVUD, *tree.position(HUVUD, "{reff:"), "unknown marker '{reff:'"),
        (HUVUD, *tree.position(HUVUD, "[Bedömning, Ansvarar]"), "table row has 2 cells: expected 3"),
        (HUVUD, *tree.position(HUVUD, "{term:vard-i-hemet"), "dangling term use {term:vard-i-hemet}"),
        (HUVUD, *tree.position(HUVUD, "{ref:lak.saknas"), "dangling cross-reference {ref:lak.saknas}"),
        (HUVUD, *tree.position(HUVUD, "{ref:lakare:lak.borta"), "clause 'lak.borta', which does not exist"),
        (MUN, *value(MUN, "valid_from: 2027-13-01"), "expected a date"),
        (MUN, *value(MUN, "      - id: ansvar.kommun"), "duplicate id 'ansvar.kommun'"),
        (MUN, *tree.position(MUN, "{ref:huvudavtal:inledning.vuxna"), "clause 'inledning.vuxna', which does not"),
        (TERMS, *value(TERMS, "abbreviation: [SIP]"), "expected text"),
        (LAKARE, *tree.position(LAKARE, ": fel"), "YAML syntax error"),
    }
    assert len(expected) >= 10
    _, problems = tree.load()
    errors = [p for p in problems if p.severity == "error"]
    found = {(p.location.file, p.location.line, p.location.column): p.message for p in errors}
    for name, line, column, fragment in expected:
        where = (tree.shown(name), line, column)
        assert where in found and fragment in found[where], (where, fragment, [str(p) for p in errors])
    assert len(errors) == len(expected), [str(p) for p in errors]
    assert [str(p) for p in problems if "never used" in p.message] == []

    assert main(["--sources", str(tree.sources), "check"]) == 1  # the command prints them all, no traceback
    err = capsys.readouterr().err
    assert f"{len(expected)} error(s), 0 warning(s)" in err
    assert "Traceback" not in err


def test_a_reference_into_a_document_that_is_not_yaml_is_trusted_when_its_text_has_the_id(tree):
    inject(tree)
    _, problems = tree.load()
    assert not [p for p in problems if "lak.finns" in p.message]
