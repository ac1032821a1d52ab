"""The clause-aware diff against a corpus of version pairs whose change sets are known by hand.

Each pair in `pairs.py` is one edit of the minimal fixture tree; its expected
change set ({(document, clause id): kinds}), ändringsförteckning numbers
(new, old) and glossary changes are written there from the edit itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from avtal.redline.diff import CHANGED, DELETED, MOVED, NEW, RENUMBERED, compare

from .pairs import ALL_KINDS, HUV, PAIRS, Pair, pair


def change_set(changes) -> dict[tuple[str, str], set[str]]:
    return {(d.id, c.id): set(c.kinds) for d in changes.documents for c in d.changes}


def rows(changes) -> dict[str, tuple[str | None, str | None]]:
    """The ändringsförteckning's numbers: clause id → (new number, old number)."""
    return {c.id: (c.new_number, c.old_number) for d in changes.documents for c in d.changes}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory):
    """Every pair's FROM and TO corpus, loaded once."""
    cache: dict[str, tuple] = {}

    def get(p: Pair):
        if p.name not in cache:
            cache[p.name] = p.load(tmp_path_factory.mktemp(p.name))
        return cache[p.name]

    return get


@pytest.mark.parametrize("p", [*PAIRS, ALL_KINDS], ids=lambda p: p.name)
def test_change_set_is_the_one_the_edit_made(p: Pair, loaded):
    old, new = loaded(p)
    changes = compare(old, new, "fore", "efter")
    assert change_set(changes) == p.expected, p.about
    assert rows(changes) == p.numbers
    assert tuple((t.id, t.kind, t.old, t.new) for t in changes.terms) == p.terms
    assert changes.is_empty == (not p.expected and not p.terms)


@pytest.mark.parametrize("p", [*PAIRS, ALL_KINDS], ids=lambda p: p.name)
def test_comparing_a_version_with_itself_finds_nothing(p: Pair, loaded):
    for version in loaded(p):
        changes = compare(version, version, "v", "v")
        assert changes.is_empty
        assert [d.changes for d in changes.documents] == [[] for _ in version.documents]


def test_whitespace_only_edits_are_no_change_although_the_files_differ(tmp_path: Path):
    p = pair("whitespace")
    old_tree, new_tree = p.write(tmp_path)
    assert (old_tree / "documents/huvudavtal.yaml").read_text() != (new_tree / "documents/huvudavtal.yaml").read_text()
    assert compare(*p.load(tmp_path / "again"), "a", "b").is_empty


def test_pure_renumbering_marks_every_later_clause_renumbered_only(loaded):
    changes = compare(*loaded(pair("renumbering")), "a", "b")
    huvudavtal, munhalsa = changes.documents
    kinds = [c.kinds for c in huvudavtal.changes]
    assert kinds[0] == {NEW} and all(k == {RENUMBERED} for k in kinds[1:])
    assert huvudavtal.has_text_changes  # the new avsnitt
    # munhalsa cites huvudavtal 1.1 (now 2.1) by id: not a change there.
    assert munhalsa.changes == [] and not munhalsa.has_text_changes


def test_a_reordered_avsnitt_is_one_move_and_its_children_are_only_renumbered(loaded):
    changes = compare(*loaded(pair("reorder")), "a", "b")
    kinds = {c.id: c.kinds for c in changes.documents[0].changes}
    assert [i for i, k in kinds.items() if MOVED in k] == ["ansvar"]
    assert all(k == {RENUMBERED} for i, k in kinds.items() if i.startswith("ansvar."))


def test_the_display_tree_keeps_deleted_clauses_where_they_stood(loaded):
    """Deleted clauses stay in reading order after their old predecessor, their children under them."""
    changes = compare(*loaded(pair("delete-with-children")), "a", "b")
    order = [(n.change.id, tuple(sorted(n.change.kinds))) for n in changes.documents[0].nodes()]
    assert order == [
        ("inledning", ()), ("inledning.syfte", ()), ("inledning.syfte.barn", ()),
        ("ansvar", ()),
        ("ansvar.region", (DELETED,)), ("ansvar.region.lakare", (DELETED,)),
        ("ansvar.region.tandvard", (DELETED,)), ("ansvar.region.hjalpmedel", (DELETED,)),
        ("ansvar.kommun", (RENUMBERED,)),
    ]
    region = next(n for n in changes.documents[0].nodes() if n.change.id == "ansvar.region")
    assert [c.change.id for c in region.children] == ["ansvar.region.lakare", "ansvar.region.tandvard",
                                                     "ansvar.region.hjalpmedel"]


def test_the_display_tree_of_all_kinds(loaded):
    """New first, the deleted avsnitt 1.1 where it stood, its sub-clause (moved up) right after it."""
    changes = compare(*loaded(ALL_KINDS), "a", "b")
    order = [n.change.id for n in changes.documents[0].nodes()]
    assert order == ["definitioner", "inledning", "inledning.syfte", "inledning.syfte.barn", "inledning.parter",
                     "ansvar", "ansvar.region", "ansvar.region.lakare", "ansvar.region.tandvard", "ansvar.kommun",
                     "ansvar.region.hjalpmedel"]


def test_kinds_are_consistent_with_the_two_versions(loaded):
    """Over every pair: new ⇔ only in TO, deleted ⇔ only in FROM, renumbered ⇒ numbers differ, never with moved."""
    for p in (*PAIRS, ALL_KINDS):
        changes = compare(*loaded(p), "a", "b")
        for d in changes.documents:
            for c in d.changes:
                assert (NEW in c.kinds) == (c.old is None), (p.name, c.id)
                assert (DELETED in c.kinds) == (c.new is None), (p.name, c.id)
                if RENUMBERED in c.kinds:
                    assert c.old_number != c.new_number and MOVED not in c.kinds
                if c.kinds & {NEW, DELETED}:
                    assert len(c.kinds) == 1
                assert c.kinds <= {NEW, DELETED, MOVED, CHANGED, RENUMBERED}


def test_a_changed_preamble_is_a_change(tmp_path: Path):
    edited = Pair("preamble", ((HUV, "Avtalet gäller mellan regionen och kommunerna.",
                                "Avtalet gäller mellan regionen och de 49 kommunerna."),), {})
    changes = compare(*edited.load(tmp_path), "a", "b")
    assert not changes.is_empty
    huvudavtal = next(d for d in changes.documents if d.id == "huvudavtal")
    assert huvudavtal.preamble_changed and huvudavtal.changes == [] and huvudavtal.meta == ()


def test_a_changed_title_and_diarienummer_are_listed_as_metadata(tmp_path: Path):
    edited = Pair("meta", ((HUV, "diarienummer: RS 2024-00001", "diarienummer: RS 2025-00002"),
                           (HUV, "title: Hälso- och sjukvårdsavtal\n", "title: Hälso- och sjukvårdsavtal 2027\n")), {})
    changes = compare(*edited.load(tmp_path), "a", "b")
    huvudavtal = next(d for d in changes.documents if d.id == "huvudavtal")
    assert huvudavtal.meta == ("title", "diarienummer") and not huvudavtal.preamble_changed
