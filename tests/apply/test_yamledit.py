"""Line-level YAML edits: only the edited value's characters change."""

from __future__ import annotations

import yaml

from avtal.apply.yamledit import Edits, join_blocks, raw_blocks, scalar, wrap
from avtal.model.problems import Problems
from avtal.model.yamlfile import load_yaml

SOURCE = """\
# a comment that must stay
sections:
  - id: a
    title: Syfte   # trailing comment
    text: |
      Första stycket, som är
      radbrutet.

      - en punkt,
      - en andra punkt som
        fortsätter.
      Ett stycke direkt efter listan.
    table:
      header: [Insats, "Regionen"]
      rows:
        - ["Ett", "Två"]
        - ['Tre', Fyra]
"""


def loaded():
    return load_yaml(SOURCE, "x.yaml", Problems())


def changed_lines(before: str, after: str) -> list[str]:
    return [line for line in after.splitlines() if line not in before.splitlines()]


def test_a_title_keeps_its_comment_and_plain_style():
    edits = Edits(loaded())
    edits.set_line(("sections", 0, "title"), "Syftet")
    assert edits.result() == SOURCE.replace("title: Syfte   #", "title: Syftet   #")


def test_a_value_that_needs_quotes_gets_them():
    assert scalar("Fråga: ja", None) == '"Fråga: ja"'
    assert scalar("ja", None) == "ja"
    assert scalar("yes", None) == '"yes"' and scalar("2027-01-01", None) == '"2027-01-01"'  # not text, unquoted
    assert scalar("It's", "'") == "'It''s'"
    assert yaml.safe_load(f"k: {scalar('#1 av 2', None)}")["k"] == "#1 av 2"


def test_cells_keep_their_own_quoting():
    edits = Edits(loaded())
    edits.set_line(("sections", 0, "table", "rows", 1, 0), "Tre och en halv")
    edits.set_line(("sections", 0, "table", "rows", 0, 1), "Två")
    assert edits.result() == SOURCE.replace("['Tre', Fyra]", "['Tre och en halv', Fyra]")


def test_a_row_is_deleted_and_added_as_whole_lines():
    edits = Edits(loaded())
    edits.delete_item(("sections", 0, "table", "rows", 0))
    edits.add_row_after(("sections", 0, "table", "rows", 1), ["Fem", "Sex: sju"])
    assert edits.result() == SOURCE.replace('        - ["Ett", "Två"]\n', "").replace(
        "        - ['Tre', Fyra]\n", '        - [\'Tre\', Fyra]\n        - ["Fem", "Sex: sju"]\n')


def test_text_blocks_split_as_the_parser_splits_them():
    blocks = raw_blocks(loaded().data["sections"][0]["text"])
    assert [(b.kind, b.lines or b.items) for b in blocks] == [
        ("para", ["Första stycket, som är", "radbrutet."]),
        ("list", [["- en punkt,"], ["- en andra punkt som", "  fortsätter."]]),
        ("para", ["Ett stycke direkt efter listan."]),
    ]


def test_an_edited_text_changes_only_the_edited_lines():
    file = loaded()
    blocks = raw_blocks(file.data["sections"][0]["text"])
    blocks[1].items[0] = ["- en ändrad punkt,"]
    blocks[1].touched = True
    edits = Edits(file)
    edits.set_text(("sections", 0, "text"), join_blocks(blocks))
    after = edits.result()
    assert changed_lines(SOURCE, after) == ["      - en ändrad punkt,", ""] or \
        changed_lines(SOURCE, after) == ["      - en ändrad punkt,"]
    reread = load_yaml(after, "x.yaml", Problems()).data["sections"][0]["text"]
    assert reread.splitlines()[3] == "- en ändrad punkt,"


def test_a_deleted_paragraph_leaves_no_trace_and_its_neighbours_stay_apart():
    file = loaded()
    blocks = raw_blocks(file.data["sections"][0]["text"])
    blocks[1].items = [[], []]
    blocks[1].touched = True
    assert join_blocks(blocks) == "Första stycket, som är\nradbrutet.\n\nEtt stycke direkt efter listan.\n"


def test_wrapping_keeps_unchanged_first_and_last_lines():
    like = ["Regionen ansvarar för tandvården och kommunen för omsorgen, inklusive den",
            "dagliga munvården. Regionen fullgör sitt ansvar genom tandvårdsgivare som",
            "regionen har avtal med, i överenskommelsen kallade uppdragstagare."]
    text = " ".join(like).replace("genom tandvårdsgivare", "genom de tandvårdsgivare")
    lines = wrap(text, like)
    assert lines[0] == like[0] and lines[-1] == like[-1] and " ".join(lines) == text


def test_one_long_line_stays_one_line():
    assert wrap("Ett längre stycke på en rad.", ["Ett stycke på en rad."]) == ["Ett längre stycke på en rad."]


def test_markers_are_never_split_across_lines():
    like = ["x" * 30 + " ord ord ord ord", "ord ord ord ord ord ord ord ord ord ord ord ord"]
    lines = wrap("ord " * 8 + "{lag:hsl 16 kap. 4 §} " + "ord " * 10, like)
    assert any("{lag:hsl 16 kap. 4 §}" in line for line in lines)


def test_the_blank_line_after_a_text_block_stays():
    source = "a:\n  text: |\n    Ett stycke.\n\n  title: B\n"
    file = load_yaml(source, "x.yaml", Problems())
    edits = Edits(file)
    edits.set_text(("a", "text"), "Ett nytt stycke.\n")
    assert edits.result() == source.replace("Ett stycke.", "Ett nytt stycke.")


def test_a_text_is_added_to_a_clause_that_had_none_right_after_its_title():
    source = "sections:\n  - id: a\n    title: Inledning\n    clauses:\n      - id: b\n        title: B\n"
    edits = Edits(load_yaml(source, "x.yaml", Problems()))
    edits.add_text(("sections", 0), "Ett nytt stycke.\n")
    assert edits.result() == source.replace("title: Inledning\n", "title: Inledning\n    text: |\n"
                                                                  "      Ett nytt stycke.\n")
