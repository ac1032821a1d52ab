"""Regenerate sources/lagar/<id>.yaml from consolidated statute texts (Markdown).

    .venv/bin/python tools/lagar_snapshot.py ../shared/law [--sources sources]

Each Markdown file (see ../shared/law/README.md for the format) is matched to a
statute of sources/statutes.yaml by its SFS number and written as a snapshot:
provenance (file, SHA-256, date of consolidation, the amending acts), chapter
titles, and every version of every section with the dates it is in force and
its text. `avtal check` and the web edition read only the snapshot, never the
Markdown, so the project does not depend on ../shared/ at run time.

In-force dates come from three places, in this order: the section's own note
(`[ikraft, from D]`, `[upphord, until D]`, `[upphavd, until D]`); the amending
acts listed in the header (`ny`/`nya`/`betecknas` give the date a section got
its number, `upph.` the date it was repealed); otherwise the statute's own
in-force date, read from its transitional provisions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path

import yaml

MONTHS = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december"]
# A statute whose consolidated text does not state its own in-force date: the date and where it comes from.
IN_FORCE_ELSEWHERE = {
    "1993:387": (dt.date(1994, 1, 1), "lag (1993:388) om införande av lagen (1993:387) om stöd och service till "
                                      "vissa funktionshindrade, 1 §"),
}

HEADING = re.compile(r"^(#{1,6}) (.*?)\s*$")
NOTE = re.compile(r"\s*\[(ikraft|upphord|upphavd)(?:, (from|until) (\d{4}-\d{2}-\d{2}))?\]\s*$")
NUMBER = r"\d+(?: ?[a-z])?\b"
SECTION = re.compile(rf"^({NUMBER}) §$")
CHAPTER = re.compile(rf"^({NUMBER}) kap\.\s*(.*)$")
AMENDMENT = re.compile(r"^- SFS (\d{4}:\d+)(?: \(in force (\d{4}-\d{2}-\d{2})\))?: (.*)$")
VERB = re.compile(r"\b(ändr\.?|upph\.|nya|nytt|ny|nuvarande|betecknas|rubr\.)(?=\s)")
GROUP = re.compile(rf"(?:({NUMBER}) kap\.\s*)?({NUMBER}(?:\s*(?:,|och)\s*{NUMBER})*)\s*§§?|({NUMBER}) kap\.")


def number(text: str) -> str:
    """'8a' and '8 a' are the same section: one canonical form, '8 a'."""
    return re.sub(r"(\d)\s*([a-z])$", r"\1 \2", text.strip())


def parse_amendments(lines: list[str]) -> list[dict]:
    out = []
    for line in lines:
        match = AMENDMENT.match(line)
        if match:
            sfs, when, changes = match.groups()
            out.append({"sfs": sfs, "in_force": dt.date.fromisoformat(when) if when else None, "changes": changes})
    return out


def births_and_repeals(amendments: list[dict]) -> tuple[dict, dict]:
    """(chapter, section) → the dates it got its number (ny, betecknas); → the dates it was repealed (upph.)."""
    born: dict[tuple, list[dt.date]] = {}
    repealed: dict[tuple, list[dt.date]] = {}
    for amendment in amendments:
        when = amendment["in_force"]
        if when is None:
            continue
        for clause in amendment["changes"].split(";"):
            marks = [(m.start(), m.group(1)) for m in VERB.finditer(clause)]
            for group in GROUP.finditer(clause):
                verbs = [v for pos, v in marks if pos < group.start()]
                verb = verbs[-1] if verbs else ""
                target = born if verb in ("ny", "nya", "nytt", "betecknas") else repealed if verb == "upph." else None
                if target is None:
                    continue
                if group.group(3):  # a whole chapter: 'nytt 13 a kap.'
                    keys = [(number(group.group(3)), None)]
                else:
                    chapter = number(group.group(1)) if group.group(1) else None
                    keys = [(chapter, number(s)) for s in re.split(r"\s*(?:,|och)\s*", group.group(2))]
                for key in keys:
                    target.setdefault(key, []).append(when)
    return born, repealed


def statute_in_force(sfs: str, lines: list[str]) -> tuple[dt.date, str]:
    """The statute's own in-force date: the transitional provision under its own SFS number."""
    for i, line in enumerate(lines):
        if line.strip() == sfs:
            for following in lines[i + 1:i + 6]:
                found = re.search(r"träder i kraft den (\d{1,2}) (\w+) (\d{4})", following)
                if found:
                    day, month, year = found.groups()
                    return dt.date(int(year), MONTHS.index(month) + 1, int(day)), "övergångsbestämmelserna, " + sfs
    if sfs in IN_FORCE_ELSEWHERE:
        return IN_FORCE_ELSEWHERE[sfs]
    raise SystemExit(f"cannot tell when SFS {sfs} came into force: add it to IN_FORCE_ELSEWHERE with its source")


def parse(text: str) -> dict:
    """One consolidated text → the snapshot's content (without provenance of the file itself)."""
    lines = text.splitlines()
    title_match = re.match(r"^# (.*) \(SFS (\d{4}:\d+)\)$", lines[0])
    if not title_match:
        raise SystemExit(f"first line is not '# Title (SFS YYYY:N)': {lines[0]!r}")
    title, sfs = title_match.groups()
    consolidated = re.search(r"as published (\d{4}-\d{2}-\d{2})", text)
    amendments = parse_amendments(lines)
    born, repealed = births_and_repeals(amendments)
    in_force, in_force_source = statute_in_force(sfs, lines)
    chapters: dict[str, str] = {}
    sections: list[dict] = []
    chapter: str | None = None
    current: dict | None = None
    body_start = next(i for i, line in enumerate(lines) if i > 0 and line.startswith("# "))
    for line in lines[body_start + 1:]:
        heading = HEADING.match(line)
        if heading:
            current = None
            head = heading.group(2)
            note = NOTE.search(head)
            head = head[:note.start()] if note else head
            head = head.rsplit("/ ", 1)[-1] if head.startswith("/") else head  # '/24/ 5 §', '/Ny beteckning …/ 10 §'
            if head.startswith("Övergångsbestämmelser"):
                break
            found_chapter = CHAPTER.match(head)
            found_section = SECTION.match(head)
            if found_chapter and not found_section:
                chapter = number(found_chapter.group(1))
                chapters.setdefault(chapter, found_chapter.group(2).strip())
            elif found_section:
                current = {"chapter": chapter, "section": number(found_section.group(1)), "from": None,
                           "until": None, "repealed": False, "lines": []}
                if note:
                    kind, _, when = note.groups()
                    day = dt.date.fromisoformat(when) if when else None
                    if kind == "ikraft":
                        current["from"] = day
                    elif kind == "upphord" or day:
                        current["until"] = day
                    else:
                        current["repealed"] = True
                sections.append(current)
        elif current is not None:
            current["lines"].append(line)
    _fill_dates(sections, born, repealed, in_force)
    return {
        "sfs": sfs,
        "title": title,
        "consolidated": dt.date.fromisoformat(consolidated.group(1)) if consolidated else None,
        "in_force": in_force,
        "in_force_source": in_force_source,
        "amendments": amendments,
        "chapters": [{"chapter": k, "title": v} for k, v in chapters.items()],
        "sections": [_section_record(s) for s in sections],
    }


def _fill_dates(sections: list[dict], born: dict, repealed: dict, in_force: dt.date) -> None:
    """Versions of one section follow each other: a missing bound is the neighbour's; else the amendments'."""
    by_key: dict[tuple, list[dict]] = {}
    for s in sections:
        by_key.setdefault((s["chapter"], s["section"]), []).append(s)
    for key, versions in by_key.items():
        for before, after in zip(versions, versions[1:]):
            if before["until"] is None and after["from"] is not None and not before["repealed"]:
                before["until"] = after["from"]
            if after["from"] is None and before["until"] is not None:
                after["from"] = before["until"]
        first = versions[0]
        if first["from"] is None:  # the last time it got its number before it ended
            dates = [d for d in [*born.get(key, []), *born.get((key[0], None), []), in_force]
                     if first["until"] is None or d < first["until"]]
            first["from"] = max(dates, default=in_force)
        for s in versions:
            if s["repealed"] and s["until"] is None and key in repealed:
                s["until"] = max(repealed[key])


def _section_record(s: dict) -> dict:
    text = "\n".join(s["lines"]).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    record = {"chapter": s["chapter"], "section": s["section"], "from": s["from"]}
    if s["until"]:
        record["until"] = s["until"]
    if s["repealed"]:
        record["repealed"] = True
    record["text"] = text
    return record


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # a date shared by two sections is written twice, not as &id001
        return True


def _str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value or len(value) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def snapshot(path: Path, law: str) -> str:
    """The snapshot file's text for one consolidated Markdown file."""
    raw = path.read_bytes()
    content = parse(raw.decode("utf-8"))
    record = {
        "law": law,
        "sfs": content["sfs"],
        "title": content["title"],
        "source": {"file": path.name, "sha256": hashlib.sha256(raw).hexdigest(),
                   "consolidated": content["consolidated"],
                   "note": "Consolidated text (../shared/law/README.md); amendments in force up to the date below "
                           "are included, as listed under 'amendments'.",
                   "last_in_force": max((a["in_force"] for a in content["amendments"] if a["in_force"]),
                                        default=None)},
        "in_force": content["in_force"],
        "in_force_source": content["in_force_source"],
        "amendments": content["amendments"],
        "chapters": content["chapters"],
        "sections": content["sections"],
    }
    header = (f"# Snapshot of {content['title'].lower()} ({content['sfs']}): written by tools/lagar_snapshot.py from "
              f"{path.name}.\n# Do not edit: regenerate (see README, 'Statutes'). Sections: every version with the "
              "dates it is in force (from inclusive, until exclusive).\n")
    return header + yaml.dump(record, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("law", type=Path, help="folder of consolidated texts, e.g. ../shared/law")
    parser.add_argument("--sources", type=Path, default=Path("sources"))
    args = parser.parse_args(argv)
    statutes = yaml.safe_load((args.sources / "statutes.yaml").read_text(encoding="utf-8"))["statutes"]
    by_sfs = {s["sfs"]: s["id"] for s in statutes}
    target = args.sources / "lagar"
    target.mkdir(exist_ok=True)
    written = []
    for path in sorted(args.law.glob("*.md")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        found = re.search(r"\(SFS (\d{4}:\d+)\)$", first)
        if not found:
            continue  # README.md and other notes
        law = by_sfs.get(found.group(1))
        if law is None:
            print(f"{path}: SFS {found.group(1)} is not in {args.sources}/statutes.yaml; skipped", file=sys.stderr)
            continue
        out = target / f"{law}.yaml"
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target, delete=False, suffix=".tmp") as tmp:
            tmp.write(snapshot(path, law))
        os.chmod(tmp.name, 0o644)
        os.replace(tmp.name, out)
        written.append(out.name)
    print(f"wrote {len(written)} snapshot(s) to {target}/: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
