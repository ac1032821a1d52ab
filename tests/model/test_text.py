"""The clause text markup: blocks, inlines, the four markers, and the problems in them."""

from __future__ import annotations

import pytest

from avtal.model.text import (
    BulletList,
    Cite,
    DocRef,
    Emph,
    Link,
    OrderedList,
    Para,
    Ref,
    Str,
    Strong,
    TermUse,
    block_inlines,
    parse_blocks,
    parse_inlines,
    walk_inlines,
)


def blocks(text):
    parsed, issues = parse_blocks(text)
    assert issues == []
    return parsed


def inlines(text):
    issues = []
    parsed = parse_inlines(text, issues)
    assert issues == []
    return parsed


def issues_of(text):
    issues = []
    parse_inlines(text, issues)
    return issues


# ---- blocks -----------------------------------------------------------------

def test_it_splits_paragraphs_at_blank_lines_and_joins_their_lines():
    assert blocks("Första stycket\nfortsätter här.\n\nAndra stycket.\n") == (
        Para((Str("Första stycket fortsätter här."),)),
        Para((Str("Andra stycket."),)),
    )


def test_a_blank_line_of_spaces_separates_paragraphs_too():
    assert len(blocks("Ett.\n   \nTvå.")) == 2


def test_it_reads_a_bullet_list_with_continuation_lines():
    text = "Parterna ska\n\n- samverka kring den enskilde\n  i alla delar\n- följa upp\n"
    assert blocks(text) == (
        Para((Str("Parterna ska"),)),
        BulletList(((Str("samverka kring den enskilde i alla delar"),), (Str("följa upp"),))),
    )


def test_it_reads_a_numbered_list_whatever_numbers_were_written():
    assert blocks("1. Först\n1. Sedan\n   och därefter\n7. Sist\n") == (
        OrderedList(((Str("Först"),), (Str("Sedan och därefter"),), (Str("Sist"),))),
    )


def test_a_bullet_list_then_a_numbered_list_are_two_lists():
    parsed = blocks("- a\n- b\n1. c\n")
    assert parsed == (BulletList(((Str("a"),), (Str("b"),))), OrderedList(((Str("c"),),)))


def test_an_unindented_line_after_a_list_starts_a_paragraph():
    assert blocks("- a\nEfter listan.") == (BulletList(((Str("a"),),)), Para((Str("Efter listan."),)))


def test_emphasis_at_the_start_of_a_line_is_not_a_bullet():
    assert blocks("*Kursivt* först.") == (Para((Emph((Str("Kursivt"),)), Str(" först."))),)


def test_empty_text_has_no_blocks():
    assert blocks("\n  \n") == ()


def test_block_inlines_yields_paragraphs_and_every_list_item():
    runs = list(block_inlines(blocks("Ett.\n\n- två\n- tre\n")))
    assert runs == [(Str("Ett."),), (Str("två"),), (Str("tre"),)]


# ---- inlines ------------------------------------------------------------------

def test_emphasis_may_contain_a_term():
    assert inlines("ska få *stöd med {term:egenvard|egenvården}* i hemmet") == (
        Str("ska få "),
        Emph((Str("stöd med "), TermUse("egenvard", "egenvården"))),
        Str(" i hemmet"),
    )


def test_strong_is_two_stars():
    assert inlines("Detta är **viktigt**.") == (Str("Detta är "), Strong((Str("viktigt"),)), Str("."))


def test_a_lone_star_is_plain_text():
    assert inlines("5 * 3 och a*b") == (Str("5 * 3 och a*b"),)


def test_it_reads_an_external_link():
    assert inlines("se [Socialstyrelsens handbok](https://www.socialstyrelsen.se/h) här") == (
        Str("se "),
        Link("https://www.socialstyrelsen.se/h", (Str("Socialstyrelsens handbok"),)),
        Str(" här"),
    )


def test_a_link_must_have_an_address():
    [issue] = issues_of("se [handboken](handbok.pdf)")
    assert issue.message == "link target 'handbok.pdf' is not an address: expected https://…"
    assert issue.needle == "[handboken](handbok.pdf)"


def test_it_reads_terms_with_and_without_an_inflected_form():
    assert inlines("{term:sip} och {term:egenvard|egenvården}") == (
        TermUse("sip"), Str(" och "), TermUse("egenvard", "egenvården"))


def test_an_empty_inflected_form_is_an_issue():
    [issue] = issues_of("{term:egenvard|}")
    assert issue.message.startswith("empty form after '|' in '{term:egenvard|}'")


def test_it_reads_references_to_clauses_and_documents():
    assert inlines("enligt {ref:ansvar.sip} och {ref:huvudavtal:ansvar.sip} i {doc:munhalsa}") == (
        Str("enligt "), Ref("ansvar.sip"), Str(" och "), Ref("ansvar.sip", "huvudavtal"), Str(" i "),
        DocRef("munhalsa"),
    )


@pytest.mark.parametrize("marker, cite, pinpoint", [
    ("{lag:hsl 16 kap. 4 §}", Cite("hsl", 16, "4"), "16 kap. 4 §"),
    ("{lag:tandvardslagen 8 a §}", Cite("tandvardslagen", None, "8 a"), "8 a §"),
    ("{lag:hsl 16 kap.}", Cite("hsl", 16, None), "16 kap."),
    ("{lag:sol}", Cite("sol"), ""),
    ("{lag:lss 9 §}", Cite("lss", None, "9"), "9 §"),
])
def test_it_reads_every_form_of_statute_reference(marker, cite, pinpoint):
    assert inlines(f"enligt {marker}.") == (Str("enligt "), cite, Str("."))
    assert cite.pinpoint == pinpoint


def test_a_malformed_statute_reference_is_an_issue_and_kept_as_text():
    issues = []
    parsed = parse_inlines("enligt {lag:hsl kap 16}", issues)
    assert parsed == (Str("enligt {lag:hsl kap 16}"),)
    [issue] = issues
    assert issue.message.startswith("malformed statute reference '{lag:hsl kap 16}'")


def test_an_unknown_marker_is_an_issue_with_a_suggestion():
    issues = []
    parsed = parse_inlines("se {reff:x}", issues)
    assert parsed == (Str("se {reff:x}"),)
    [issue] = issues
    assert issue.message == "unknown marker '{reff:': expected one of {ref:, {doc:, {term:, {lag:; did you mean '{ref:'?"
    assert issue.needle == "{reff:x}"


@pytest.mark.parametrize("text, start", [
    ("{ref:Ansvar}", "malformed reference '{ref:Ansvar}'"),
    ("{doc:Huvudavtal}", "malformed document id 'Huvudavtal'"),
    ("{term:Vård}", "malformed term id 'Vård'"),
    ("se {ref:ansvar", "unclosed marker '{ref:ansvar'"),
])
def test_malformed_markers_are_issues(text, start):
    [issue] = issues_of(text)
    assert issue.message.startswith(start)


def test_braces_are_only_special_before_a_marker_name():
    assert inlines("mängden {a, b} och {x}") == (Str("mängden {a, b} och {x}"),)


def test_whitespace_inside_a_run_is_one_space():
    assert inlines("  ett\n  två   tre ") == (Str("ett två tre"),)


def test_walk_inlines_visits_nested_nodes_depth_first():
    tree = inlines("*a {term:sip}* [b **c**](https://x.se)")
    kinds = [type(n).__name__ for n in walk_inlines(tree)]
    assert kinds == ["Emph", "Str", "TermUse", "Str", "Link", "Str", "Strong", "Str"]


def test_every_run_of_white_space_in_a_line_is_one_space_as_the_regex_would_make_it():
    """Any code point the regex \\s matches (tab, no-break space, ideographic space …) counts as white space."""
    import re
    import sys

    spaces = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if re.fullmatch(r"\s", c))
    text = f"{spaces}ett{spaces}två \t tre{spaces}"
    assert inlines(text) == (Str(re.sub(r"\s+", " ", text).strip()),) == (Str("ett två tre"),)
