"""Shared fixtures: a minimal valid sources tree that a test breaks in one place.

Every error test starts from the same small, valid tree and changes one file,
so a failure points at the one thing the test is about. Expected lines and
columns are found in the fixture text itself (`Tree.position`), never taken
from the program's output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from avtal.model import load

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"

PACKAGE = """\
# yaml-language-server: $schema=schema/package.schema.json
title: Hälso- och sjukvårdsavtal i Västra Götaland
documents:
  - huvudavtal
  - munhalsa
"""

TERMS = """\
# yaml-language-server: $schema=schema/terms.schema.json
terms:
  - id: vard-i-hemmet
    term: vård i hemmet
    definition: >-
      Hälso- och sjukvård som ges i den enskildes bostad.
    replaces: [hemsjukvård]
  - id: sip
    term: samordnad individuell plan
    abbreviation: SIP
    definition: |
      Plan som region och kommun upprättar enligt {lag:hsl 16 kap. 4 §}.
"""

STATUTES = """\
# yaml-language-server: $schema=schema/statutes.schema.json
statutes:
  - id: hsl
    name: hälso- och sjukvårdslagen
    sfs: "2017:30"
    abbreviation: HSL
    chapters: true
    url: https://www.riksdagen.se/hsl
  - id: lss
    name: lagen om stöd och service till vissa funktionshindrade
    sfs: "1993:387"
    abbreviation: LSS
    chapters: false
"""

HUVUDAVTAL = """\
# yaml-language-server: $schema=../schema/document.schema.json
id: huvudavtal
title: Hälso- och sjukvårdsavtal
short_title: Huvudavtal
kind: huvudavtal
legal_basis:
  - {law: hsl, chapter: 16, section: 1}
valid_from: 2027-01-01
status: arbetsutkast
version_date: 2025-01-30
diarienummer: RS 2024-00001
preamble: |
  Avtalet gäller mellan regionen och kommunerna.
sections:
  - id: inledning
    title: Inledning
    clauses:
      - id: inledning.syfte
        title: Syfte
        text: |
          Avtalet ska främja {term:vard-i-hemmet|vården i hemmet} enligt {lag:hsl 16 kap. 4 §}.

          - en första punkt
            som fortsätter
          - en andra punkt
        clauses:
          - id: inledning.syfte.barn
            title: Barn och unga
            text: |
              Barn ska uppmärksammas, se {ref:ansvar}.
  - id: ansvar
    title: Ansvar
    text: |
      Stöd enligt {lag:lss 9 §} ges av kommunen.
    table:
      caption: Ansvarsfördelning
      header: [Insats, Regionen, Kommunen]
      rows:
        - [Bedömning, Ansvarar, Medverkar]
        - [Planering, "Upprättar {term:sip}", Medverkar]
    clauses:
      - id: ansvar.region
        title: Regionens ansvar
        clauses:
          - id: ansvar.region.lakare
            title: Läkarinsatser
            text: |
              Regionen ansvarar för läkarinsatser.
          - id: ansvar.region.tandvard
            title: Tandvård
            text: |
              Regionen ansvarar för nödvändig tandvård.
          - id: ansvar.region.hjalpmedel
            title: Hjälpmedel
            text: |
              Regionen ansvarar för hjälpmedel.
      - id: ansvar.kommun
        title: Kommunens ansvar
        text: |
          Kommunen ansvarar för {term:vard-i-hemmet}.
"""

MUNHALSA = """\
# yaml-language-server: $schema=../schema/document.schema.json
id: munhalsa
title: Överenskommelse om samverkan Munhälsa
short_title: Munhälsa
kind: överenskommelse
legal_basis:
  - {law: lss, section: 9}
valid_from: 2027-01-01
status: arbetsutkast
version_date: 2025-01-30
diarienummer: RS 2024-01187
sections:
  - id: mun.inledning
    title: Inledning
    text: |
      Överenskommelsen hör till {doc:huvudavtal} och preciserar {ref:huvudavtal:inledning.syfte}.

      1. Den som har en {term:sip} ska få *stöd med {term:vard-i-hemmet}* enligt
         [handboken](https://example.org/handbok).
      2. Andra steget
  - id: mun.ansvar
    title: Ansvar
    clauses:
      - id: mun.ansvar.region
        title: Regionens ansvar
        text: |
          Regionen ansvarar enligt {lag:hsl 16 kap.} och {ref:mun.inledning}.
"""

# Statute snapshots as tools/lagar_snapshot.py writes them, cut down to what the tests need (texts from
# the consolidated HSL and LSS): HSL 12 kap. 7 § applies from 2027-01-01, 17 kap. 4 § is repealed.
LAGAR_HSL = """\
law: hsl
sfs: '2017:30'
title: Hälso- och sjukvårdslag
source: {file: hsl-2017-30.md, sha256: fixture, consolidated: 2025-12-15}
in_force: 2017-04-01
in_force_source: övergångsbestämmelserna, 2017:30
amendments: []
chapters:
- {chapter: '12', title: Ansvar att erbjuda hälso- och sjukvård}
- {chapter: '16', title: Samverkan mellan huvudmännen}
- {chapter: '17', title: Avgifter}
sections:
- chapter: '12'
  section: '7'
  from: 2027-01-01
  text: Kommunen ska lagerhålla sjukvårdsprodukter för sådan vård som kommunen ska erbjuda enligt denna lag.
- chapter: '16'
  section: '1'
  from: 2017-04-01
  text: |-
    Regionen ska till kommunerna inom regionen avsätta de läkarresurser som behövs.

    Regionen ska med kommunerna inom regionen sluta avtal om omfattningen av och formerna för läkarmedverkan.
- chapter: '16'
  section: '4'
  from: 2017-04-01
  text: |-
    När den enskilde har behov av insatser både från hälso- och sjukvården och från socialtjänsten, ska regionen tillsammans med kommunen upprätta en individuell plan.
- chapter: '17'
  section: '4'
  from: 2017-04-01
  until: 2018-01-01
  repealed: true
  text: Har upphävts genom lag (2017:616).
"""

LAGAR_LSS = """\
law: lss
sfs: '1993:387'
title: Lag om stöd och service till vissa funktionshindrade
source: {file: lss-1993-387.md, sha256: fixture, consolidated: 2025-12-15}
in_force: 1994-01-01
in_force_source: lag (1993:388)
amendments: []
chapters: []
sections:
- chapter: null
  section: '9'
  from: 1994-01-01
  text: Insatserna för särskilt stöd och service är rådgivning och annat personligt stöd.
"""

FILES = {
    "avtal.yaml": PACKAGE,
    "terms.yaml": TERMS,
    "statutes.yaml": STATUTES,
    "documents/huvudavtal.yaml": HUVUDAVTAL,
    "documents/munhalsa.yaml": MUNHALSA,
    "lagar/hsl.yaml": LAGAR_HSL,
    "lagar/lss.yaml": LAGAR_LSS,
}


def make_tree(folder: Path, overrides: dict[str, str | None] | None = None) -> Path:
    """Write the minimal tree under `folder`; an override replaces a file's text (None removes it)."""
    files = {**FILES, **(overrides or {})}
    for name, text in files.items():
        if text is not None:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return folder


@dataclass
class Tree:
    """A minimal sources tree at `root/sources`, shown in problems as `sources/…`."""

    root: Path

    @property
    def sources(self) -> Path:
        return self.root / "sources"

    def text(self, name: str) -> str:
        return (self.sources / name).read_text(encoding="utf-8")

    def write(self, name: str, text: str) -> None:
        path = self.sources / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def edit(self, name: str, old: str, new: str) -> str:
        """Replace the one occurrence of `old` in a file; returns the new text."""
        text = self.text(name)
        assert text.count(old) == 1, f"fixture edit: {old!r} occurs {text.count(old)} times in {name}"
        text = text.replace(old, new)
        self.write(name, text)
        return text

    def position(self, name: str, needle: str, nth: int = 1) -> tuple[int, int]:
        """1-based (line, column) of the nth occurrence of `needle` in a file."""
        text = self.text(name)
        index = -1
        for _ in range(nth):
            index = text.index(needle, index + 1)
        line = text.count("\n", 0, index) + 1
        return line, index - (text.rfind("\n", 0, index) + 1) + 1

    def shown(self, name: str) -> str:
        """A file as problems name it."""
        return f"sources/{name}"

    def load(self):
        return load(self.sources, root=self.root)


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """A fresh minimal valid sources tree."""
    make_tree(tmp_path / "sources")
    return Tree(tmp_path)
