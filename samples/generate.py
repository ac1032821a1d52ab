"""Make the sample remissvar of a round from its plan, import them, and write the group's positions.

    .venv/bin/python samples/generate.py              # files + import + letter split + positions
    .venv/bin/python samples/generate.py --no-files   # only import, split and positions (files as committed)

`samples/<round>/plan.yaml` says what every party answered (samples/README.md). This
turns each answer into the file(s) the party would really send, made by the real
tools, into `samples/<round>/inkommande/`:

- a filled **svarsformulär**: the party's own form from `avtal remiss pack` (a
  kommunalförbund, which gets none, uses its first member's), typed into with
  `tests/remiss/forms.fill_form`;
- a **returned draft**: the distributed Word file of the frozen version, with the
  reviewer's Word comments and tracked changes written by `tests/remiss/wordlike`;
- a **letter** as Word (python-docx), or as PDF with a text layer (that Word file
  converted by LibreOffice, as a registrar's "Save as PDF" would);
- a hand-written **YAML** answer (`ManualAnswer`), also for a party that declined;
- `diarium.yaml`, the registrar's list: file, received date, and the sender
  where the file cannot tell (a kommunalförbund's joint answer on a member's form).

Generation is a one-off and its files are committed; `make` only imports them:

    .venv/bin/avtal remiss import remiss-2025 --batch samples/remiss-2025/inkommande/diarium.yaml

which changes nothing when they are already imported. After importing, the
letters are split into the comments the plan lists (what the group does by hand in
the svar file), and the plan's points become `stallningstaganden.yaml` with the
imported comment ids. Word files are written with fixed zip timestamps, so running
this again gives the same files (the PDFs carry LibreOffice's creation time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/remiss/forms.py and wordlike.py: the writers that imitate Word users

from avtal.fsutil import atomic_write_text  # noqa: E402
from avtal.model.remiss import Position, Positions, load_round  # noqa: E402
from avtal.remiss import answers as store  # noqa: E402
from avtal.remiss.importer import parties_in_name  # noqa: E402
from avtal.render.wording import MONTHS  # noqa: E402

SOURCES = ROOT / "sources"
NEXT_VERSION = "forslag-2025-08"  # where the group's decisions went (positions' `against`)
EDIT_SOURCE = {"comment": "word-comment", "replace": "insertion", "insert": "insertion", "delete": "deletion"}
FIXED = (1980, 1, 1, 0, 0, 0)  # zip timestamp Word itself writes


@dataclass
class Made:
    """One file made for an answer, as the diarium lists it."""

    file: str
    answerer: str
    says: str | None  # whom the file itself names: the form's party, a YAML answer's; None: only its name
    on_behalf_of: list[str]
    received: dt.date
    note: str | None = None


@dataclass
class Context:
    round: str
    pack: Path
    inbox: Path
    info: object
    book: object
    documents: list[str]
    made: list[Made] = field(default_factory=list)
    pdf_sources: list[Path] = field(default_factory=list)  # Word letters to convert to PDF


# -- writing what parties send --

def stable_zip(path: Path) -> None:
    """Rewrite a .docx with fixed timestamps (python-docx stamps the time of saving)."""
    with zipfile.ZipFile(path) as src:
        items = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in items:
            info = zipfile.ZipInfo(name, FIXED)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())


def swedish_date(day: dt.date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def package_party(answer: dict) -> str:
    """Whose package the answer was made from: the party's own, or a kommunalförbund's first member's."""
    return (answer.get("on_behalf_of") or [answer["party"]])[0] if answer["party"] not in PARTIES else answer["party"]


def name_of(ctx: Context, ident: str) -> str:
    return ctx.book.answerer(ident).name


def make_form(ctx: Context, answer: dict, n: int) -> Made:
    from tests.remiss.forms import fill_form

    owner = package_party(answer)
    (form,) = (ctx.pack / owner).glob("Svarsformulär*.docx")
    rows, general = {}, None
    for c in answer.get("comments", ()):
        if c.get("clause"):
            if c["clause"] in rows:
                raise SystemExit(f"{answer['party']}: two comments on {c['clause']} cannot share one form row")
            rows[c["clause"]] = (c.get("stance"), c.get("text", ""), c.get("proposal", ""))
        else:
            general = c["text"] if general is None else f"{general}\n{c['text']}"
    decided = answer.get("decided_by") or {}
    when = decided.get("date")
    date = (when.isoformat() if n % 2 else swedish_date(when)) if when else ""
    name = name_of(ctx, answer["party"])
    file = answer.get("file") or [
        f"Svarsformulär {ctx.round} – {name}.docx", f"Remissvar {name} HoS-avtal.docx",
        f"{name} - svarsformulär Hälso- och sjukvårdsavtal.docx", f"Yttrande {name} remiss RS 2024-03516.docx",
    ][n % 4]
    fill_form(form, ctx.inbox / file, rows=rows, general=general,
              decided_by=(decided.get("body", ""), date, decided.get("paragraph", "")) if decided else None)
    stable_zip(ctx.inbox / file)
    joint = owner != answer["party"]
    return Made(file, answer["party"], owner, list(answer.get("on_behalf_of", ())), answer["received"],
                f"{name} svarar på formuläret som skickades till {name_of(ctx, owner)}" if joint else None)


def make_drafts(ctx: Context, answer: dict) -> list[Made]:
    from tests.remiss.wordlike import Remark, annotate_draft

    out = []
    owner = package_party(answer)
    for draft in answer["drafts"]:
        number = ctx.documents.index(draft["document"]) + 1
        (source,) = (ctx.pack / owner).glob(f"{number} *.docx")
        comments, replacements, insertions, deletions = [], [], [], []
        for c in draft["comments"]:
            edit, clause, anchor = c["edit"], c["clause"], c["anchor"]
            if edit == "comment" or c.get("text"):
                comments.append(Remark(clause, anchor, c["text"]))
            if edit == "replace":
                replacements.append((clause, anchor, c["new"]))
            elif edit == "insert":
                insertions.append((clause, anchor, c["new"]))
            elif edit == "delete":
                deletions.append((clause, anchor))
        day = answer.get("decided_by", {}).get("date") or answer["received"]
        annotate_draft(source, ctx.inbox / draft["file"], author=draft["reviewer"],
                       date=dt.datetime.combine(day - dt.timedelta(days=3), dt.time(14, 5)), comments=comments,
                       replacements=replacements, insertions=insertions, deletions=deletions)
        out.append(Made(draft["file"], answer["party"], None, list(answer.get("on_behalf_of", ())),
                        answer["received"], answer.get("cover")))
    return out


def letter_docx(path: Path, text: str, author: str, day: dt.date) -> Path:
    """A letter as a registrar's colleague writes it in Word: one paragraph per block, lines kept."""
    import docx

    document = docx.Document()
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        paragraph = document.add_paragraph()
        for i, line in enumerate(lines):
            run = paragraph.add_run(line.strip())
            if i < len(lines) - 1:
                run.add_break()
    props = document.core_properties
    props.author = props.last_modified_by = author
    props.created = props.modified = dt.datetime.combine(day, dt.time(9, 0))
    props.title = "Remissvar"
    props.language = "sv-SE"
    document.save(str(path))
    stable_zip(path)
    return path


def make_letter(ctx: Context, answer: dict, pdf: bool) -> Made:
    name = name_of(ctx, answer["party"])
    file = answer.get("file") or f"{name} - remissvar.{'pdf' if pdf else 'docx'}"
    day = answer.get("decided_by", {}).get("date") or answer["received"]
    if pdf:
        source = ctx.pack.parent / "letters" / (Path(file).stem + ".docx")
        source.parent.mkdir(parents=True, exist_ok=True)
        ctx.pdf_sources.append(letter_docx(source, answer["letter"], name, day))
    else:
        letter_docx(ctx.inbox / file, answer["letter"], name, day)
    return Made(file, answer["party"], None, list(answer.get("on_behalf_of", ())), answer["received"])


def make_manual(ctx: Context, answer: dict) -> Made:
    """What the registrar types in for an answer that came by e-mail, on paper, or declined."""
    data: dict = {"round": ctx.round, "party": answer["party"]}
    if answer.get("on_behalf_of"):
        data["on_behalf_of"] = list(answer["on_behalf_of"])
    data["received"] = answer["received"]
    if answer["format"] == "declined":
        data["declined"] = True
    if answer.get("decided_by"):
        data["decided_by"] = answer["decided_by"]
    comments = []
    for c in answer.get("comments", ()):
        comments.append({k: c[k] for k in ("clause", "stance", "text", "proposal") if c.get(k)})
    if comments:
        data["comments"] = comments
    cover = " ".join((answer.get("cover") or "").split())
    header = "# yaml-language-server: $schema=../../../sources/schema/manual-answer.schema.json\n"
    header += "".join(f"# {line}\n" for line in _wrap(cover)) if cover else ""
    text = header + yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    file = f"{answer['party']}-{'avstar' if answer['format'] == 'declined' else 'svar'}-{answer['received']}.yaml"
    (ctx.inbox / file).write_text(text, encoding="utf-8")
    return Made(file, answer["party"], answer["party"], [], answer["received"])


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _wrap(text: str, width: int = 96) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def to_pdf(ctx: Context) -> None:
    """Letters as PDF with a text layer, written by LibreOffice from the Word letter."""
    if not ctx.pdf_sources:
        return
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to write the PDF letters")
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                        "--convert-to", "pdf", "--outdir", str(ctx.inbox), *map(str, ctx.pdf_sources)],
                       check=True, capture_output=True, timeout=300)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def write_diarium(ctx: Context, path: Path) -> None:
    lines = [f"# Diarium för {ctx.round}: inkomna remissvar, i den ordning de kom in.",
             f"# Importeras med: avtal remiss import {ctx.round} --batch {path.relative_to(ROOT)}",
             "# party anges bara där filen inte själv säger vem som svarat.", "files:"]
    for m in sorted(ctx.made, key=lambda m: (m.received, m.file)):
        if m.note:
            lines += [f"  # {line}" for line in _wrap(" ".join(m.note.split()), 94)]
        lines.append(f"  - file: {yaml.safe_dump(m.file, allow_unicode=True, width=1000).splitlines()[0]}")
        named = [m.says] if m.says else parties_in_name(m.file, ctx.book)
        if named != [m.answerer]:  # the registrar names the sender where the file cannot
            lines.append(f"    party: {m.answerer}")
        if m.on_behalf_of:
            lines.append(f"    on_behalf_of: [{', '.join(m.on_behalf_of)}]")
        lines.append(f"    received: {m.received.isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_files(ctx: Context, plan: dict) -> None:
    forms = 0
    for answer in plan["answers"]:
        kind = answer["format"]
        if kind == "form":
            forms += 1
            ctx.made.append(make_form(ctx, answer, forms))
        elif kind == "draft":
            ctx.made.extend(make_drafts(ctx, answer))
        elif kind in ("letter-docx", "letter-pdf"):
            ctx.made.append(make_letter(ctx, answer, kind == "letter-pdf"))
        elif kind in ("manual", "declined"):
            ctx.made.append(make_manual(ctx, answer))
        else:
            raise SystemExit(f"{answer['party']}: unknown format {kind!r}")
    to_pdf(ctx)
    write_diarium(ctx, ctx.inbox / "diarium.yaml")


# -- after the import: the group's work in the svar files --

def split_letters(round_id: str, plan: dict) -> None:
    """Split each letter into the comments the plan lists, as the group does by hand in the svar file."""
    for answer in plan["answers"]:
        if not answer["format"].startswith("letter") or not answer.get("comments"):
            continue
        path = store.answer_path(SOURCES, round_id, answer["party"])
        from avtal.model.problems import Problems

        record = store.read_record(path, Problems())
        letters = [c for c in record.answer.comments if c.source == "letter" and store.FLAG_LETTER in c.flags]
        if not letters:
            continue  # already split
        parts = [{k: c[k] for k in ("clause", "stance", "text", "proposal") if c.get(k)}
                 for c in answer["comments"]]
        parts = [{**p, "text": " ".join(p["text"].split())} for p in parts]
        split, ids, next_id = store.split_comment(record.answer, letters[0].id, parts, record.next_id)
        atomic_write_text(path, store.dump_answer(split, next_id, edited=True))
        print(f"split {letters[0].id} into {', '.join(ids)}")


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def comment_ids(round_id: str, plan: dict) -> dict[tuple[int, int, int], str]:
    """Plan comment (answer, draft or -1, comment) → imported comment id, matched by party, clause and text/anchor."""
    loaded = {a.party: a for a in store.load_answers(SOURCES, round_id)}
    out: dict[tuple[int, int, int], str] = {}
    problems = []
    for i, answer in enumerate(plan["answers"]):
        record = loaded.get(answer["party"])
        live = list(store.live_comments(record)) if record else []
        taken: set[str] = set()

        def pick(key, candidates, what):
            found = [c for c in candidates if c.id not in taken]
            if not found:
                problems.append(f"{answer['party']}: no imported comment for {what}")
                return
            taken.add(found[0].id)
            out[key] = found[0].id

        for j, draft in enumerate(answer.get("drafts", ())):
            for k, c in enumerate(draft["comments"]):
                source = EDIT_SOURCE[c["edit"]]
                pick((i, j, k), [x for x in live if x.source == source and x.clause == c["clause"]
                                 and _norm(c["anchor"]) in _norm(x.quote)], f"{c['edit']} on {c['clause']}")
        for k, c in enumerate(answer.get("comments", ())):
            clause = c.get("clause")
            if answer["format"] == "form":
                sources = ("form",) if clause else ("form-general",)
                candidates = [x for x in live if x.source in sources and x.clause == clause]
            else:
                candidates = [x for x in live if x.clause == clause and _norm(x.text) == _norm(c.get("text"))]
            pick((i, -1, k), candidates, f"comment on {clause or 'the whole'}")
    if problems:
        raise SystemExit("cannot map the plan to the imported comments:\n  " + "\n  ".join(problems))
    return out


def write_positions(round_id: str, plan: dict) -> Path:
    """The plan's points as stallningstaganden.yaml, each naming the imported comments it answers."""
    from avtal.remiss.positions import SCHEMA_LINE, dump_positions

    ids = comment_ids(round_id, plan)
    by_point: dict[str, list[str]] = {p["id"]: [] for p in plan.get("points", ())}
    inline: list[tuple[dict, str]] = []
    for i, answer in enumerate(plan["answers"]):
        items = [((i, j, k), c) for j, d in enumerate(answer.get("drafts", ())) for k, c in enumerate(d["comments"])]
        items += [((i, -1, k), c) for k, c in enumerate(answer.get("comments", ()))]
        for key, c in items:
            point = c.get("point")
            if isinstance(point, dict):
                inline.append((point, ids[key]))
            elif point:
                by_point[point].append(ids[key])
    positions = [Position(comments=tuple(by_point[p["id"]]), status=p["status"], reason=" ".join(p["reason"].split()),
                          clauses=tuple(p.get("clauses", ())))
                 for p in plan.get("points", ()) if by_point[p["id"]]]
    positions += [Position(comments=(cid,), status=p["status"], reason=" ".join(p["reason"].split()),
                           clauses=tuple(p.get("clauses", ()))) for p, cid in inline]
    header = SCHEMA_LINE + ("# The working group's positions on the remissvar of remiss-2025 (sample data: written by\n"
                            "# samples/generate.py from samples/remiss-2025/plan.yaml).\n")
    path = SOURCES / "remiss" / round_id / "stallningstaganden.yaml"
    atomic_write_text(path, dump_positions(Positions(round=round_id, against=NEXT_VERSION,
                                                     positions=tuple(positions)), header))
    return path


PARTIES: set[str] = set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--round", default="remiss-2025")
    parser.add_argument("--no-files", action="store_true", help="keep the committed files; import, split, positions")
    args = parser.parse_args(argv)
    folder = ROOT / "samples" / args.round
    plan = yaml.safe_load((folder / "plan.yaml").read_text(encoding="utf-8"))
    info = load_round(SOURCES, args.round)
    PARTIES.update(p.id for p in info.book.parties)
    inbox = folder / "inkommande"
    if not args.no_files:
        from avtal.remiss.pack import pack_round

        shutil.rmtree(inbox, ignore_errors=True)
        inbox.mkdir(parents=True)
        with tempfile.TemporaryDirectory(prefix="avtal-samples-") as tmp:
            pack_round(SOURCES, args.round, Path(tmp) / "dist")
            ctx = Context(args.round, Path(tmp) / "dist" / "remiss" / args.round, inbox, info, info.book,
                          list(info.documents))
            make_files(ctx, plan)
        print(f"wrote {len(list(inbox.iterdir()))} files into {inbox.relative_to(ROOT)}")
    avtal = Path(sys.executable).parent / "avtal"
    subprocess.run([str(avtal), "remiss", "import", args.round, "--batch",
                    str((inbox / "diarium.yaml").relative_to(ROOT))], cwd=ROOT, check=True)
    split_letters(args.round, plan)
    print(f"wrote {write_positions(args.round, plan).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
