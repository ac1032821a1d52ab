"""`ast.text`: a run of plain text is one Str node, written exactly as pandoc's one node per word would be."""

from __future__ import annotations

import pytest

from avtal.render import ast, html, typst

TEXTS = ["Avtalet", "två ord", "  med  luft\tomkring \n", " inledande", "avslutande ", "rad\nbrytning",
         "tecken: #*_<>[] & \"citat\" 5. maj", "1. som en lista", " ", "", "a\u00a0b"]


def word_by_word(value: str) -> list[ast.Node]:
    """Pandoc's own shape: a Str per word and a Space per run of white space."""
    out: list[ast.Node] = []
    for i, part in enumerate(value.split()):
        if i or value[:1].isspace():
            out.append({"t": "Space"})
        out.append({"t": "Str", "c": part})
    if value.split() and value[-1].isspace() or value and not value.split():
        out.append({"t": "Space"})
    return out


S, SPACE = "Str", {"t": "Space"}


@pytest.mark.parametrize("value, nodes", [
    ("Avtalet", [{"t": S, "c": "Avtalet"}]),
    ("två ord", [{"t": S, "c": "två ord"}]),
    ("  med  luft\tomkring \n", [SPACE, {"t": S, "c": "med luft omkring"}, SPACE]),
    (" inledande", [SPACE, {"t": S, "c": "inledande"}]),
    ("avslutande ", [{"t": S, "c": "avslutande"}, SPACE]),
    (" ", [SPACE]),
    ("", []),
])
def test_a_text_is_one_str_between_a_space_for_each_edge_with_white_space(value, nodes):
    assert ast.text(value) == nodes


@pytest.mark.parametrize("value", TEXTS)
def test_every_writer_writes_the_run_as_the_words_one_by_one(value):
    ours, words = ast.text(value), word_by_word(value)
    assert ast.stringify(ours) == ast.stringify(words)
    assert typst.inlines(ours) == typst.inlines(words)
    assert html.inlines(ours) == html.inlines(words)
    assert typst.blocks([ast.para(ours)]) == typst.blocks([ast.para(words)])
    assert html.blocks([ast.para(ours)]) == html.blocks([ast.para(words)])
