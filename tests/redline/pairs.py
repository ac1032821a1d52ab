"""Version pairs with known changes: the corpus the redline tests and bench/redline.py share.

Each pair starts from the minimal fixture tree (tests/conftest.py). FROM is the
fixture with `base` edits applied, TO is FROM with `edits` applied; an edit is
(file, old text, new text) and `old` must occur exactly once. The expected
change set is written by hand from the edit, never computed by the code under
test: `expected` maps (document, clause id) to its kinds, `numbers` gives the
ändringsförteckning's (new number, old number) for every listed clause, and
`terms` the glossary changes as (term id, kind, old, new).

The fixture's numbering, for reading the expectations:

    huvudavtal                          munhalsa
    1     inledning                     1   mun.inledning
    1.1   inledning.syfte               2   mun.ansvar
    1.1.1 inledning.syfte.barn          2.1 mun.ansvar.region
    2     ansvar (text + table)
    2.1   ansvar.region
    2.1.1 ansvar.region.lakare
    2.1.2 ansvar.region.tandvard
    2.1.3 ansvar.region.hjalpmedel
    2.2   ansvar.kommun
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from avtal.model import Corpus, load

from ..conftest import FILES, HUVUDAVTAL, make_tree

HUV = "documents/huvudavtal.yaml"
MUN = "documents/munhalsa.yaml"
TERMS = "terms.yaml"

Edit = tuple[str, str, str]

# The fixture's clauses as YAML, to move or delete them whole.
TANDVARD = """\
          - id: ansvar.region.tandvard
            title: Tandvård
            text: |
              Regionen ansvarar för nödvändig tandvård.
"""
HJALPMEDEL = """\
          - id: ansvar.region.hjalpmedel
            title: Hjälpmedel
            text: |
              Regionen ansvarar för hjälpmedel.
"""
KOMMUN = """\
      - id: ansvar.kommun
        title: Kommunens ansvar
        text: |
          Kommunen ansvarar för {term:vard-i-hemmet}.
"""
INLEDNING_START = "  - id: inledning\n"
ANSVAR_START = "  - id: ansvar\n"
# The two avsnitt of the huvudavtal, each as its whole YAML block.
INLEDNING_BLOCK = HUVUDAVTAL[HUVUDAVTAL.index(INLEDNING_START):HUVUDAVTAL.index(ANSVAR_START)]
ANSVAR_BLOCK = HUVUDAVTAL[HUVUDAVTAL.index(ANSVAR_START):]


@dataclass(frozen=True)
class Pair:
    name: str
    edits: tuple[Edit, ...]
    expected: dict[tuple[str, str], set[str]]
    numbers: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    terms: tuple[tuple[str, str, str | None, str | None], ...] = ()
    base: tuple[Edit, ...] = ()
    about: str = ""

    def files(self, edits: tuple[Edit, ...]) -> dict[str, str]:
        files = dict(FILES)
        for name, old, new in edits:
            count = files[name].count(old)
            assert count == 1, f"pair {self.name}: {old!r} occurs {count} times in {name}"
            files[name] = files[name].replace(old, new)
        return files

    def write(self, folder: Path) -> tuple[Path, Path]:
        """FROM and TO sources trees under `folder`."""
        old = make_tree(folder / "from", self.files(self.base))
        new = make_tree(folder / "to", self.files(self.base + self.edits))
        return old, new

    def load(self, folder: Path) -> tuple[Corpus, Corpus]:
        return tuple(_load(p, folder) for p in self.write(folder))  # type: ignore[return-value]


def _load(sources: Path, root: Path) -> Corpus:
    corpus, problems = load(sources, root=root)
    assert corpus is not None, "\n".join(map(str, problems))
    return corpus


def _all(doc: str, kinds: set[str], *ids: str) -> dict[tuple[str, str], set[str]]:
    return {(doc, i): set(kinds) for i in ids}


HUVUDAVTAL_IDS = ("inledning", "inledning.syfte", "inledning.syfte.barn", "ansvar", "ansvar.region",
                  "ansvar.region.lakare", "ansvar.region.tandvard", "ansvar.region.hjalpmedel", "ansvar.kommun")

NEW_FIRST_SECTION = """\
  - id: definitioner
    title: Definitioner
    text: |
      I avtalet används termerna i bilagan.
"""

PAIRS: tuple[Pair, ...] = (
    Pair(
        "identity", (), {},
        about="compare(v, v): nothing changed",
    ),
    Pair(
        "renumbering", ((HUV, INLEDNING_START, NEW_FIRST_SECTION + INLEDNING_START),),
        {("huvudavtal", "definitioner"): {"new"}, **_all("huvudavtal", {"renumbered"}, *HUVUDAVTAL_IDS)},
        {"definitioner": ("1", None), "inledning": ("2", "1"), "inledning.syfte": ("2.1", "1.1"),
         "inledning.syfte.barn": ("2.1.1", "1.1.1"), "ansvar": ("3", "2"), "ansvar.region": ("3.1", "2.1"),
         "ansvar.region.lakare": ("3.1.1", "2.1.1"), "ansvar.region.tandvard": ("3.1.2", "2.1.2"),
         "ansvar.region.hjalpmedel": ("3.1.3", "2.1.3"), "ansvar.kommun": ("3.2", "2.2")},
        about="a new avsnitt first: every later clause only renumbered; munhalsa's "
              "{ref:huvudavtal:inledning.syfte} now reads 2.1 but is no change",
    ),
    Pair(
        "move", ((HUV, TANDVARD, ""), (HUV, KOMMUN, KOMMUN + "        clauses:\n" + TANDVARD)),
        {("huvudavtal", "ansvar.region.tandvard"): {"moved"}, ("huvudavtal", "ansvar.region.hjalpmedel"): {"renumbered"}},
        {"ansvar.region.tandvard": ("2.2.1", "2.1.2"), "ansvar.region.hjalpmedel": ("2.1.2", "2.1.3")},
        about="a clause moved to another parent (2.1.2 → 2.2.1)",
    ),
    Pair(
        "split",
        ((HUV, "Regionen ansvarar för hjälpmedel.\n\n              Förskrivning sker enligt riktlinjerna.\n",
          "Regionen ansvarar för hjälpmedel.\n"
          "          - id: ansvar.region.forskrivning\n"
          "            title: Förskrivning\n"
          "            text: |\n"
          "              Förskrivning sker enligt riktlinjerna.\n"),),
        {("huvudavtal", "ansvar.region.hjalpmedel"): {"changed"}, ("huvudavtal", "ansvar.region.forskrivning"): {"new"}},
        {"ansvar.region.hjalpmedel": ("2.1.3", "2.1.3"), "ansvar.region.forskrivning": ("2.1.4", None)},
        base=((HUV, "Regionen ansvarar för hjälpmedel.\n",
               "Regionen ansvarar för hjälpmedel.\n\n              Förskrivning sker enligt riktlinjerna.\n"),),
        about="a two-paragraph clause split in two: one changed, one new",
    ),
    Pair(
        "merge",
        ((HUV, "Regionen ansvarar för nödvändig tandvård.\n",
          "Regionen ansvarar för nödvändig tandvård.\n\n              Regionen ansvarar för hjälpmedel.\n"),
         (HUV, HJALPMEDEL, "")),
        {("huvudavtal", "ansvar.region.tandvard"): {"changed"}, ("huvudavtal", "ansvar.region.hjalpmedel"): {"deleted"}},
        {"ansvar.region.tandvard": ("2.1.2", "2.1.2"), "ansvar.region.hjalpmedel": (None, "2.1.3")},
        about="two clauses merged: one changed, one deleted",
    ),
    Pair(
        "term-rename", ((TERMS, "term: vård i hemmet", "term: vård i det egna hemmet"),),
        {("huvudavtal", "ansvar.kommun"): {"changed"}, ("munhalsa", "mun.inledning"): {"changed"}},
        {"ansvar.kommun": ("2.2", "2.2"), "mun.inledning": ("1", "1")},
        terms=(("vard-i-hemmet", "renamed", "vård i hemmet", "vård i det egna hemmet"),),
        about="a renamed term: every clause showing it in its default form changed; "
              "inledning.syfte shows its own form 'vården i hemmet' and is unchanged",
    ),
    Pair(
        "whitespace",
        ((HUV, "Regionen ansvarar för läkarinsatser.", "Regionen   ansvarar\n              för  läkarinsatser.  "),
         (HUV, "- en andra punkt", "-   en andra\n              punkt"),
         (MUN, "Regionen ansvarar enligt", "Regionen\n          ansvarar   enligt")),
        {},
        about="extra spaces and line breaks inside text: no change",
    ),
    Pair(
        "punctuation", ((HUV, "- en första punkt\n", "- en första punkt,\n"),),
        {("huvudavtal", "inledning.syfte"): {"changed"}},
        {"inledning.syfte": ("1.1", "1.1")},
        about="one comma added: one inserted token",
    ),
    Pair(
        "reorder", ((HUV, INLEDNING_BLOCK + ANSVAR_BLOCK, ANSVAR_BLOCK + INLEDNING_BLOCK),),
        {("huvudavtal", "ansvar"): {"moved"}, **_all("huvudavtal", {"renumbered"}, *(
            i for i in HUVUDAVTAL_IDS if i != "ansvar"))},
        {"ansvar": ("1", "2"), "ansvar.region": ("1.1", "2.1"), "ansvar.region.lakare": ("1.1.1", "2.1.1"),
         "ansvar.region.tandvard": ("1.1.2", "2.1.2"), "ansvar.region.hjalpmedel": ("1.1.3", "2.1.3"),
         "ansvar.kommun": ("1.2", "2.2"), "inledning": ("2", "1"), "inledning.syfte": ("2.1", "1.1"),
         "inledning.syfte.barn": ("2.1.1", "1.1.1")},
        about="two avsnitt swapped: one moved, its children and the other avsnitt only renumbered",
    ),
    Pair(
        "move-and-change",
        ((HUV, TANDVARD, ""),
         (HUV, KOMMUN, KOMMUN + "        clauses:\n" + TANDVARD.replace("nödvändig tandvård", "akut tandvård"))),
        {("huvudavtal", "ansvar.region.tandvard"): {"moved", "changed"},
         ("huvudavtal", "ansvar.region.hjalpmedel"): {"renumbered"}},
        {"ansvar.region.tandvard": ("2.2.1", "2.1.2"), "ansvar.region.hjalpmedel": ("2.1.2", "2.1.3")},
        about="a clause moved to another parent and its text changed",
    ),
    Pair(
        "delete-with-children",
        ((HUV, "      - id: ansvar.region\n        title: Regionens ansvar\n        clauses:\n"
               "          - id: ansvar.region.lakare\n            title: Läkarinsatser\n            text: |\n"
               "              Regionen ansvarar för läkarinsatser.\n" + TANDVARD + HJALPMEDEL, ""),),
        {**_all("huvudavtal", {"deleted"}, "ansvar.region", "ansvar.region.lakare", "ansvar.region.tandvard",
                "ansvar.region.hjalpmedel"), ("huvudavtal", "ansvar.kommun"): {"renumbered"}},
        {"ansvar.region": (None, "2.1"), "ansvar.region.lakare": (None, "2.1.1"),
         "ansvar.region.tandvard": (None, "2.1.2"), "ansvar.region.hjalpmedel": (None, "2.1.3"),
         "ansvar.kommun": ("2.1", "2.2")},
        about="a clause deleted with its three sub-clauses",
    ),
    Pair(
        "renumbered-ref-target",
        ((HUV, "          - id: ansvar.region.lakare\n",
          "          - id: ansvar.region.samordning\n            title: Samordning\n            text: |\n"
          "              Regionen samordnar insatserna.\n          - id: ansvar.region.lakare\n"),),
        {("huvudavtal", "ansvar.region.samordning"): {"new"},
         **_all("huvudavtal", {"renumbered"}, "ansvar.region.lakare", "ansvar.region.tandvard",
                "ansvar.region.hjalpmedel")},
        {"ansvar.region.samordning": ("2.1.1", None), "ansvar.region.lakare": ("2.1.2", "2.1.1"),
         "ansvar.region.tandvard": ("2.1.3", "2.1.2"), "ansvar.region.hjalpmedel": ("2.1.4", "2.1.3")},
        base=((HUV, "Kommunen ansvarar för {term:vard-i-hemmet}.",
               "Kommunen ansvarar för {term:vard-i-hemmet}, se även {ref:ansvar.region.hjalpmedel}."),),
        about="ansvar.kommun cites ansvar.region.hjalpmedel, which is renumbered 2.1.3 → 2.1.4: "
              "the citing clause reads differently but is not changed",
    ),
    Pair(
        "swap-siblings",
        ((HUV, TANDVARD, ""), (HUV, "          - id: ansvar.region.lakare\n",
                               TANDVARD + "          - id: ansvar.region.lakare\n")),
        {("huvudavtal", "ansvar.region.tandvard"): {"moved"}, ("huvudavtal", "ansvar.region.lakare"): {"renumbered"}},
        {"ansvar.region.tandvard": ("2.1.1", "2.1.2"), "ansvar.region.lakare": ("2.1.2", "2.1.1")},
        about="two sibling clauses swapped: the one that jumped is moved, the other renumbered",
    ),
    Pair(
        "table-cell",
        ((HUV, "[Planering, \"Upprättar {term:sip}\", Medverkar]", "[Planering, \"Upprättar {term:sip}\", Ansvarar]"),),
        {("huvudavtal", "ansvar"): {"changed"}},
        {"ansvar": ("2", "2")},
        about="one table cell changed",
    ),
    Pair(
        "table-row",
        ((HUV, "        - [Planering, \"Upprättar {term:sip}\", Medverkar]\n",
          "        - [Planering, \"Upprättar {term:sip}\", Medverkar]\n        - [Uppföljning, Deltar, Ansvarar]\n"),),
        {("huvudavtal", "ansvar"): {"changed"}},
        {"ansvar": ("2", "2")},
        about="a table row added: the table's shape changed",
    ),
    Pair(
        "title-only",
        ((HUV, "title: Hjälpmedel", "title: Hjälpmedel och förbrukningsartiklar"),),
        {("huvudavtal", "ansvar.region.hjalpmedel"): {"changed"}},
        {"ansvar.region.hjalpmedel": ("2.1.3", "2.1.3")},
        about="a heading reworded",
    ),
)

# The pair the publishing tests read back with real readers: every kind at once.
ALL_KINDS = Pair(
    "all-kinds",
    (
        # a later version date: the redline's date (build_time of TO); metadata is not compared
        (HUV, "version_date: 2025-01-30", "version_date: 2025-06-15"),
        # new avsnitt first: every later clause renumbered
        (HUV, INLEDNING_START, NEW_FIRST_SECTION + INLEDNING_START),
        # a deleted clause that has a list; its sub-clause moves up in its place
        (HUV, "      - id: inledning.syfte\n        title: Syfte\n        text: |\n"
              "          Avtalet ska främja {term:vard-i-hemmet|vården i hemmet} enligt {lag:hsl 16 kap. 4 §}.\n\n"
              "          - en första punkt\n            som fortsätter\n          - en andra punkt\n        clauses:\n"
              "          - id: inledning.syfte.barn\n            title: Barn och unga\n            text: |\n"
              "              Barn ska uppmärksammas, se {ref:ansvar}.\n",
         "      - id: inledning.syfte.barn\n        title: Barn och unga\n        text: |\n"
         "          Barn ska uppmärksammas, se {ref:ansvar}.\n"),
        # changed words
        (HUV, "Regionen ansvarar för läkarinsatser.", "Regionen ansvarar för läkarinsatser i hemmet, dygnet runt."),
        (HUV, "Regionen ansvarar för nödvändig tandvård.", "Regionen ansvarar för tandvård."),
        # moved to another parent
        (HUV, HJALPMEDEL, ""),
        (HUV, KOMMUN, KOMMUN + "        clauses:\n" + HJALPMEDEL),
    ),
    {
        ("huvudavtal", "definitioner"): {"new"},
        ("huvudavtal", "inledning"): {"renumbered"},
        ("huvudavtal", "inledning.syfte"): {"deleted"},
        ("huvudavtal", "inledning.syfte.barn"): {"moved"},
        ("huvudavtal", "inledning.parter"): {"renumbered"},
        ("huvudavtal", "ansvar"): {"renumbered"},
        ("huvudavtal", "ansvar.region"): {"renumbered"},
        ("huvudavtal", "ansvar.region.lakare"): {"changed", "renumbered"},
        ("huvudavtal", "ansvar.region.tandvard"): {"changed", "renumbered"},
        ("huvudavtal", "ansvar.region.hjalpmedel"): {"moved"},
        ("huvudavtal", "ansvar.kommun"): {"renumbered"},
    },
    {"definitioner": ("1", None), "inledning": ("2", "1"), "inledning.syfte": (None, "1.1"),
     "inledning.syfte.barn": ("2.1", "1.1.1"), "inledning.parter": ("2.2", "1.2"), "ansvar": ("3", "2"),
     "ansvar.region": ("3.1", "2.1"), "ansvar.region.lakare": ("3.1.1", "2.1.1"),
     "ansvar.region.tandvard": ("3.1.2", "2.1.2"), "ansvar.region.hjalpmedel": ("3.2.1", "2.1.3"),
     "ansvar.kommun": ("3.2", "2.2")},
    base=((MUN, "{ref:huvudavtal:inledning.syfte}", "{ref:huvudavtal:ansvar}"),
          (HUV, "\n  - id: ansvar\n", "\n      - id: inledning.parter\n        title: Parter\n        text: |\n"
                                      "          Parterna är regionen och kommunerna.\n  - id: ansvar\n"),),
    about="new, deleted (with a list, its sub-clause moved up), changed words, moved, renumbered",
)


def pair(name: str) -> Pair:
    return next(p for p in (*PAIRS, ALL_KINDS) if p.name == name)
