"""Edited words back into markup: markers kept, inflected, re-pointed or made plain (with a note)."""

from __future__ import annotations

from pathlib import Path

import pytest

from avtal.apply.markup import rewrite
from avtal.model.text import parse_inlines
from avtal.model.versions import load_version
from avtal.render.wording import plain

SOURCES = Path(__file__).resolve().parents[2] / "sources"
DOC = "munhalsa"
SOURCE = "Kommunen stödjer {term:egenvard|egenvården} enligt {ref:mun.syfte}, *särskilt* {lag:hsl 16 kap. 4 §}."


@pytest.fixture(scope="module")
def corpus():
    return load_version(SOURCES, "forslag-2025-08")[0]


def shown(corpus) -> str:
    return plain(corpus, DOC, parse_inlines(SOURCE, []))


def edit(corpus, old: str, new: str):
    text = shown(corpus)
    assert text.count(old) == 1
    return rewrite(corpus, DOC, parse_inlines(SOURCE, []), text.replace(old, new))


def test_unchanged_text_is_the_same_markup(corpus):
    assert rewrite(corpus, DOC, parse_inlines(SOURCE, []), shown(corpus)).source == SOURCE


def test_an_inflected_term_keeps_the_term_with_the_new_form(corpus):
    assert edit(corpus, "egenvården", "egenvårdens").source == SOURCE.replace("egenvard|egenvården", "egenvard|egenvårdens")


def test_a_term_replaced_by_other_words_becomes_plain_text_and_says_so(corpus):
    written = edit(corpus, "egenvården", "omvårdnaden")
    assert written.source == SOURCE.replace("{term:egenvard|egenvården}", "omvårdnaden")
    assert written.notes == ["“egenvården” ({term:egenvard|egenvården}) was changed to “omvårdnaden”, which is "
                             "written as plain text"]


def test_a_reference_given_another_number_points_at_that_clause(corpus):
    label, target = corpus.clause("mun.syfte").label, corpus.clause("mun.forhallande-till-huvudavtalet").label
    assert edit(corpus, f"avsnitt {label}", f"avsnitt {target}").source == SOURCE.replace(
        "{ref:mun.syfte}", "{ref:mun.forhallande-till-huvudavtalet}")


def test_a_typed_reference_to_a_clause_becomes_a_ref(corpus):
    label = corpus.clause("mun.utbildning").label
    written = edit(corpus, "Kommunen stödjer", f"Kommunen stödjer, se avsnitt {label},")
    assert written.source.startswith("Kommunen stödjer, se {ref:mun.utbildning}, {term:egenvard|egenvården}")
    assert written.notes == [f"typed “avsnitt {label}” is written as {{ref:mun.utbildning}}"]


def test_a_typed_reference_into_another_document_names_it(corpus):
    clause = corpus.clause("inledning.syfte")
    typed = f"avsnitt {clause.label} i {corpus.document('huvudavtal').source.short_title}"
    assert edit(corpus, "Kommunen stödjer", f"Kommunen stödjer enligt {typed}").source.startswith(
        "Kommunen stödjer enligt {ref:inledning.syfte} {term:egenvard|egenvården}")


def test_a_number_that_names_no_clause_stays_plain(corpus):
    assert "avsnitt 99.9" in edit(corpus, "Kommunen stödjer", "Kommunen stödjer (avsnitt 99.9)").source


def test_words_typed_beside_emphasis_stay_outside_it(corpus):
    assert "mycket *särskilt*" in edit(corpus, "särskilt", "mycket särskilt").source


def test_a_statute_whose_words_were_changed_becomes_plain_text_with_a_note(corpus):
    written = edit(corpus, "16 kap. 4 §", "16 kap. 5 §")
    assert "{lag:" not in written.source and "16 kap. 5 § hälso- och sjukvårdslagen" in written.source
    assert written.notes and "{lag:hsl 16 kap. 4 §}" in written.notes[0]


def test_a_deleted_marker_is_noted(corpus):
    written = edit(corpus, " enligt avsnitt " + corpus.clause("mun.syfte").label, "")
    assert "{ref:" not in written.source
    assert any("was deleted" in note for note in written.notes)
