"""Word-by-word comparison of Swedish clause text: what a token is, and what a diff marks."""

from __future__ import annotations

import pytest

from avtal.model.text import Cite, Emph, Link, Ref, Str, Strong, TermUse, parse_inlines
from avtal.redline.words import Token, diff, similarity, tokens

SHOWN = {"vard-i-hemmet": "vård i hemmet", "sip": "samordnad individuell plan"}


def shown(use: TermUse) -> str:
    return use.form or SHOWN[use.term]


def parse(text: str):
    issues: list = []
    inlines = parse_inlines(text, issues)
    assert not issues, issues
    return inlines


def toks(text: str) -> list[Token]:
    return tokens(parse(text), shown)


def words(text: str) -> list[str]:
    return [t.key[1] if t.key[0] == "w" else t.key[0] for t in toks(text)]


def plain(node) -> str:
    """The text a token shows (atoms as a placeholder naming what they are)."""
    if isinstance(node, Str):
        return node.text
    if isinstance(node, (Emph, Strong, Link)):
        return "".join(plain(c) for c in node.children)
    if isinstance(node, Ref):
        return f"<ref {node.target}>"
    if isinstance(node, TermUse):
        return f"<{shown(node)}>"
    if isinstance(node, Cite):
        return f"<lag {node.law}>"
    return "<atom>"


def shown_text(run: list[Token]) -> str:
    return "".join(plain(t.node) + (" " if t.space else "") for t in run)


def accept(runs) -> str:
    return "".join(shown_text(toks) for op, toks in runs if op != "delete")


def reject(runs) -> str:
    return "".join(shown_text(toks) for op, toks in runs if op != "insert")


def changed(runs) -> list[tuple[str, str]]:
    return [(op, shown_text(t).strip()) for op, t in runs if op != "equal"]


# ---- what a token is ------------------------------------------------------

def test_a_compound_is_one_token():
    assert words("Kommunen ansvarar för hemsjukvård och hälsoundersökningar.") == [
        "Kommunen", "ansvarar", "för", "hemsjukvård", "och", "hälsoundersökningar", "."]


def test_a_suspended_compound_keeps_its_hyphen_on_the_first_part():
    assert words("hälso- och sjukvård samt tand- och munvård") == [
        "hälso-", "och", "sjukvård", "samt", "tand-", "och", "munvård"]


def test_hyphenated_words_are_one_token():
    assert words("LSS-insatser, e-hälsa och SIP-mötet") == ["LSS-insatser", ",", "e-hälsa", "och", "SIP-mötet"]


def test_sfs_numbers_decimals_and_clause_numbers_are_one_token():
    assert words("lagen (2017:30) i 1,5 dygn enligt avsnitt 3.4.1") == [
        "lagen", "(", "2017:30", ")", "i", "1,5", "dygn", "enligt", "avsnitt", "3.4.1"]


def test_punctuation_marks_are_tokens_of_their_own():
    assert words("Regionen, kommunen; båda: ja! (Se ovan.) \"Citat\" § 5 – slut?") == [
        "Regionen", ",", "kommunen", ";", "båda", ":", "ja", "!", "(", "Se", "ovan", ".", ")", '"', "Citat", '"',
        "§", "5", "–", "slut", "?"]


def test_a_token_knows_whether_a_space_follows_it():
    assert [(t.key[1], t.space) for t in toks("punkt, som (här).")] == [
        ("punkt", False), (",", True), ("som", True), ("(", False), ("här", False), (")", False), (".", False)]


def test_spaces_are_found_across_markers_and_emphasis():
    found = [(t.key[0], t.space) for t in toks("se {ref:ansvar}, och *mer text*{term:sip} här")]
    assert found == [("w", True), ("ref", False), ("w", True), ("w", True), ("w", True), ("w", False), ("term", True),
                     ("w", False)]


def test_emphasis_is_carried_into_the_key_and_the_node():
    plain_word, emph_word, strong_word = (toks(t)[0] for t in ("stöd", "*stöd*", "**stöd**"))
    assert plain_word.key == ("w", "stöd", ())
    assert emph_word.key == ("w", "stöd", ("emph",)) and emph_word.node == Emph((Str("stöd"),))
    assert strong_word.key == ("w", "stöd", ("strong",)) and strong_word.node == Strong((Str("stöd"),))
    # Every word of an emphasised phrase is emphasised on its own.
    assert [(t.key, t.node) for t in toks("*stöd i hemmet*")][1] == (("w", "i", ("emph",)), Emph((Str("i"),)))


def test_a_reference_is_compared_by_target_id_never_by_number_or_spelling():
    same = [toks("se {ref:ansvar.sip}")[1], toks("se {ref:huvudavtal:ansvar.sip}")[1]]
    assert same[0].key == same[1].key == ("ref", "ansvar.sip")
    assert toks("se {ref:ansvar.sip}")[1].key != toks("se {ref:ansvar.vard}")[1].key


def test_a_term_use_is_compared_by_the_words_it_shows():
    assert toks("{term:vard-i-hemmet}")[0].key == ("term", "vard-i-hemmet", "vård i hemmet")
    assert toks("{term:vard-i-hemmet}")[0].key != toks("{term:vard-i-hemmet|vården i hemmet}")[0].key
    renamed = tokens(parse("{term:vard-i-hemmet}"), lambda use: "vård i det egna hemmet")
    assert renamed[0].key != toks("{term:vard-i-hemmet}")[0].key


def test_citations_and_links_are_single_atoms():
    cite = toks("enligt {lag:hsl 16 kap. 4 §}.")
    assert [t.key for t in cite] == [("w", "enligt", ()), ("lag", "hsl", 16, "4"), ("w", ".", ())]
    link = toks("[handboken om vård](https://example.org/h)")
    assert len(link) == 1 and link[0].key[:2] == ("link", "https://example.org/h")


# ---- what a diff marks ------------------------------------------------------

def test_a_compound_replaced_by_a_phrase_is_marked_as_whole_words():
    runs = diff(toks("Kommunen ansvarar för hemsjukvård."), toks("Kommunen ansvarar för vård i hemmet."))
    assert changed(runs) == [("delete", "hemsjukvård"), ("insert", "vård i hemmet")]


def test_a_changed_compound_is_never_marked_in_part():
    runs = diff(toks("Regionen ansvarar för sjukvård."), toks("Regionen ansvarar för tandvård."))
    assert changed(runs) == [("delete", "sjukvård"), ("insert", "tandvård")]
    assert all(" " not in text for _, text in changed(runs))


def test_a_suspended_compound_changes_word_by_word():
    runs = diff(toks("hälso- och sjukvård"), toks("hälso- och tandvård"))
    assert changed(runs) == [("delete", "sjukvård"), ("insert", "tandvård")]


def test_a_new_sfs_number_is_one_token_replaced():
    runs = diff(toks("lagen (1982:763)"), toks("lagen (2017:30)"))
    assert changed(runs) == [("delete", "1982:763"), ("insert", "2017:30")]


def test_one_added_comma_is_exactly_one_inserted_token():
    runs = diff(toks("en första punkt som fortsätter"), toks("en första punkt, som fortsätter"))
    inserted = [t for op, run in runs if op == "insert" for t in run]
    assert [t.key for t in inserted] == [("w", ",", ())]
    assert not [run for op, run in runs if op == "delete"]


def test_emphasis_alone_is_a_change():
    runs = diff(toks("få stöd här"), toks("få *stöd* här"))
    assert changed(runs) == [("delete", "stöd"), ("insert", "stöd")]
    assert [t.node for op, run in runs if op == "insert" for t in run] == [Emph((Str("stöd"),))]


def test_a_renumbered_reference_target_is_no_change():
    assert changed(diff(toks("se {ref:ansvar}."), toks("se {ref:ansvar}."))) == []


@pytest.mark.parametrize("old, new", [
    ("en första punkt som fortsätter", "en första punkt, som fortsätter"),
    ("en första punkt, som fortsätter", "en första punkt som fortsätter"),
    ("Regionen ansvarar för läkarinsatser.", "Regionen ansvarar för läkarinsatser i hemmet, dygnet runt."),
    ("Regionen ansvarar för läkarinsatser i hemmet, dygnet runt.", "Regionen ansvarar för läkarinsatser."),
    ("A B C", "A B"),
    ("A B", "A B C"),
    ("A B C", "X B C"),
    ("A B C", "B C"),
    ("punkt (här) slut", "punkt här slut"),
    ("punkt här slut", "punkt (här) slut"),
    ("se {ref:ansvar}, och mer", "se {ref:ansvar} och mer"),
    ("Stöd ges (se nedan).", "Stöd ges, se nedan."),
    ("a, b, c.", "a b c"),
    ("a b c", "a, b, c."),
    ("*stöd* i hemmet", "stöd, i hemmet"),
    ("kommunen ansvarar", "regionen och kommunen ansvarar gemensamt"),
    ("text", "helt annan text."),
])
def test_accepting_every_change_gives_the_new_text_and_rejecting_every_change_the_old(old, new):
    runs = diff(toks(old), toks(new))
    assert accept(runs) == shown_text(toks(new))
    assert reject(runs) == shown_text(toks(old))


def test_similarity_is_one_for_equal_text_and_low_for_unrelated_text():
    assert similarity(toks("Regionen ansvarar för läkarinsatser."), toks("Regionen ansvarar för läkarinsatser.")) == 1
    assert similarity(toks("Regionen ansvarar."), toks("Helt annan mening om tandvård i kommunen")) < 0.3
