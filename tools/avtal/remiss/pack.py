"""`avtal remiss pack ROUND`: one package per party, zips, manifest.csv and a sändlista in dist/remiss/ROUND/.

    dist/remiss/ROUND/
      <party>/            Missiv ROUND – <name>.docx/.pdf, Svarsformulär ROUND – <name>.docx,
                          the round's documents of the frozen version (Word + PDF) and, when the
                          round is compared with an earlier version, the redline (Word + PDF)
      <party>.zip         the same files (sorted, fixed timestamps)
      manifest.csv        party,name,email,email_placeholder,file,bytes,sha256 (one row per file)
      sandlista.csv       party,name,email,email_placeholder,zip,bytes,sha256
      sandlista.html      the same, to read and print
      remisslista.csv     who the remiss goes to: the parties by kommunalförbund, then the other
      remisslista.html    remissinstanser (the missiv carries the same list)

Every problem (round, parties, version, templates) is collected before anything is
written; the folder is built as a hidden sibling and renamed into place when complete,
so an old pack is replaced only by a whole new one. The five documents are built once
and hard-linked into each party's folder; each template is rendered once per round
(`templates.Prepared`), and only the letters' PDFs are compiled per party.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import os
import re
import shutil
import sys
import time
import unicodedata
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..fsutil import link_entries, replace_folder
from ..model import Corpus
from ..model.problems import Location, Problems, SourceError, relative
from ..model.remiss import Addressee, RoundInfo, load_round
from ..model.versions import load_version, read_version, versions_dir
from ..render import wording
from ..render.docx import TEMPLATES, render_docx
from ..render.pdf import render_pdf
from ..render.site import scrolling_tables
from .form import FormIdentity, FormWriter, check_form_template
from .lock import writes_round
from .missiv import PAGE_DESIGN, MissivWriter, check_missiv_template
from .templates import FORM, MISSIV

MANIFEST = "manifest.csv"
MANIFEST_HEADER = ("party", "name", "email", "email_placeholder", "file", "bytes", "sha256")
SANDLISTA = "sandlista"
SANDLISTA_HEADER = ("party", "name", "email", "email_placeholder", "zip", "bytes", "sha256")
REMISSLISTA = "remisslista"
REMISSLISTA_HEADER = ("id", "name", "group", "party", "name_placeholder", "email", "email_placeholder")
# How each kind of non-party remissinstans is grouped in the remisslista.
OTHER_GROUP = {"samverkansorgan": "Kommunernas samverkansorgan",
               "brukarorganisation": "Brukar- och anhörigorganisationer (16 kap. 3 § hälso- och sjukvårdslagen)",
               "anhörigorganisation": "Brukar- och anhörigorganisationer (16 kap. 3 § hälso- och sjukvårdslagen)"}


@dataclass
class PackReport:
    """What `pack_round` wrote; str() is the summary the CLI prints."""

    round: str
    folder: Path
    parties: int = 0  # every recipient (package): the parties and the other remissinstanser
    files: int = 0  # every file listed in manifest.csv (the zips included)
    bytes: int = 0  # their sizes added up (a document hard-linked into 50 folders counts 50 times)
    zip_bytes: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"packed {self.round}: {self.parties} recipients, {self.files} files, {self.zip_bytes / 1e6:.1f} MB "
                f"of zips in {self.seconds:.2f} s → {relative(self.folder)}/")


def pack_time(sent: dt.date) -> dt.datetime:
    """SOURCE_DATE_EPOCH if set, else the round's sent date (midnight UTC): every date inside the pack."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime(sent.year, sent.month, sent.day, tzinfo=dt.timezone.utc)


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def portable(stem: str, ext: str) -> str:
    """A file name every OS, mail client and zip tool accepts: NFC, none of \\ / : * ? " < > |, no control chars."""
    stem = _UNSAFE.sub("-", unicodedata.normalize("NFC", stem))
    stem = " ".join(stem.split()).strip(" .")[:120] or "fil"
    return f"{stem}{ext}"


@dataclass(frozen=True)
class Names:
    """How the files of a round's packages are named (Swedish, with the names readers know: round, version, party)."""

    round: str
    version: str
    compared_with: str | None

    @classmethod
    def of(cls, loaded: Loaded) -> Names:
        """What readers call the round and its versions (render.wording), never their ids."""
        source = loaded.info.source
        return cls(wording.round_name(source), loaded.version_name or wording.version_name(loaded.corpus),
                   None if loaded.old is None else loaded.compared_name or wording.version_name(loaded.old))

    def missiv(self, party: Addressee, ext: str) -> str:
        return portable(f"Missiv {self.round} – {party.name}", ext)

    def form(self, party: Addressee) -> str:
        return portable(f"Svarsformulär {self.round} – {party.name}", ".docx")

    def answer(self, party: Addressee, ext: str) -> str:
        return portable(f"Remissvar {self.round} – {party.name}", ext)

    def zip(self, party: Addressee) -> str:
        return f"{party.id}.zip"

    def document(self, number: int, short_title: str, ext: str) -> str:
        return portable(f"{number} {short_title} ({self.version})", ext)

    def redline(self, number: int, short_title: str, ext: str) -> str:
        return portable(f"{number} {short_title} – ändringar mot {self.compared_with}", ext)

    def summary(self, ext: str) -> str:
        return portable(f"Ändringsförteckning {self.version} mot {self.compared_with}", ext)


@dataclass
class Shared:
    """A file every package holds: built once, hard-linked into each party's folder."""

    name: str
    data: bytes
    sha256: str = ""
    path: Path | None = None


# -- loading and checking --------------------------------------------------------------------

@dataclass
class Loaded:
    info: RoundInfo
    corpus: Corpus
    checksum: str
    old: Corpus | None
    version_name: str = ""  # what readers call the version sent (render.wording.version_name)
    compared_name: str = ""


def _load(sources: Path, round_id: str, problems: Problems) -> Loaded | None:
    """The round, its frozen version (and the compared one); every problem goes to `problems`."""
    own = Problems()
    try:
        info = load_round(sources, round_id, problems=own)
    except SourceError:
        problems.extend(own)
        return None
    corpus = old = None
    checksum = version_name = compared_name = ""
    try:
        corpus, _ = load_version(sources, info.source.version)
        version = read_version(versions_dir(sources) / info.source.version)
        checksum, version_name = version.checksum, wording.version_name(version)
    except SourceError as exc:
        own.extend(exc.problems)
    if info.source.compared_with:
        try:
            old, _ = load_version(sources, info.source.compared_with)
            compared_name = wording.version_name(read_version(versions_dir(sources) / info.source.compared_with))
        except SourceError as exc:
            own.extend(exc.problems)
    if corpus is not None and info.source.documents:
        again = Problems()
        try:
            load_round(sources, round_id, corpus=corpus, problems=again)
        except SourceError:
            pass
        own.extend(Problems([p for p in again.items if "unknown document" in p.message]))
    if not info.addressees:
        own.add(Location(info.file), f"round '{round_id}' has no recipients: list party ids under `recipients:`, or "
                "leave it out to send to every party", where="recipients")
    if info.source.reply_to is None:
        first = info.source.contacts[0]
        own.add(Location(info.file), f"round '{round_id}' has no reply_to: the missiv tells parties to send their "
                f"answers to the first contact, {first.email}; add `reply_to:` with the registrar's address",
                severity="warning", where="reply_to")
    problems.extend(own)
    if corpus is None or any(p.severity == "error" for p in own.items):
        return None
    return Loaded(info, corpus, checksum, old, version_name, compared_name)


# -- what the templates see ------------------------------------------------------------------

def _paragraphs(text: str | None) -> list[str]:
    """A Text field's paragraphs (blank-line separated), each on one line."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def round_context(loaded: Loaded, names: Names, redline_files: list[str] | None) -> dict[str, Any]:
    """The template fields that are the same for every party (see templates.FIELDS)."""
    r = loaded.info.source
    documents = []
    for number, doc_id in enumerate(loaded.info.documents, 1):
        doc = loaded.corpus.document(doc_id)
        rows = [{"id": c.id, "number": c.label, "title": c.title, "level": c.level, "marker": f"[avtal-id:{c.id}]"}
                for c in doc.clauses()]
        documents.append({"number": number, "id": doc.id, "title": doc.title, "short_title": doc.source.short_title,
                          "kind": wording.KIND_LABEL[doc.source.kind],
                          "word": names.document(number, doc.source.short_title, ".docx"),
                          "pdf": names.document(number, doc.source.short_title, ".pdf"), "rows": rows})
    return {
        "round": {"id": r.id, "name": names.round, "title": r.title, "diarienummer": r.diarienummer,
                  "sent": wording.long_date(r.sent), "sent_iso": r.sent.isoformat(),
                  "deadline": wording.long_date(r.deadline), "deadline_iso": r.deadline.isoformat(),
                  "version": r.version, "version_name": names.version, "compared_with": r.compared_with or "",
                  "compared_with_name": names.compared_with or "", "reply_to": r.reply_to or r.contacts[0].email},
        "sender": {"organisation": r.sender.organisation, "unit": r.sender.unit or "", "name": r.sender.name,
                   "role": r.sender.role},
        "contacts": [{"name": c.name, "role": c.role, "organisation": c.organisation, "email": c.email,
                      "phone": c.phone or ""} for c in r.contacts],
        "letter": {"intro": _paragraphs(r.letter.intro), "questions": list(r.letter.questions),
                   "closing": _paragraphs(r.letter.closing)},
        "remisslista": _remisslista_context(loaded.info),
        "parties_count": len(loaded.info.recipients), "others_count": len(loaded.info.others),
        "documents": documents,
        "redline": {"compared_with": r.compared_with, "compared_with_name": names.compared_with,
                    "files": redline_files} if redline_files else None,
    }


def remisslista(info: RoundInfo) -> list[tuple[str, bool, list[Addressee]]]:
    """Who the remiss goes to, as the missiv and remisslista.html list it: (group heading, parties?, members).

    The region, the municipalities per kommunalförbund, then the remissinstanser that are not parties:
    the kommunalförbund, VästKom, the brukar- and anhörigorganisationer.
    """
    book = info.book
    out: list[tuple[str, bool, list[Addressee]]] = []
    outside = [p for p in info.recipients if not p.kommunalforbund]
    if outside:
        out.append(("Region" if all(p.kind == "region" for p in outside) else "Parter utan kommunalförbund", True,
                    list(outside)))
    for g in book.groups:
        members = [p for p in info.recipients if p.kommunalforbund == g.id]
        if members:
            out.append((f"Kommuner i {g.name}", True, members))
    groups = [x for x in info.others if x in book.groups]
    if groups:
        out.append(("Kommunalförbund", False, groups))
    for heading in dict.fromkeys(OTHER_GROUP.values()):
        members = [x for x in info.others if x not in book.groups and OTHER_GROUP[x.kind] == heading]  # type: ignore
        if members:
            out.append((heading, False, members))
    return out


def _remisslista_context(info: RoundInfo) -> list[dict[str, Any]]:
    """The remisslista for the templates: one entry per group, its members' names joined (examples marked)."""
    return [{"group": heading, "party": parties,
             "members": ", ".join(x.name + (" (exempel)" if getattr(x, "name_placeholder", False) else "")
                                  for x in members)}
            for heading, parties, members in remisslista(info)]


def party_context(base: dict[str, Any], loaded: Loaded, names: Names, party: Addressee,
                  shared_names: list[str]) -> dict[str, Any]:
    """The whole context for one recipient: `base` plus party, files and attachments."""
    group_id = getattr(party, "kommunalforbund", None)
    group = loaded.info.book.group(group_id).name if group_id else ""
    files = {"missiv_word": names.missiv(party, ".docx"), "missiv_pdf": names.missiv(party, ".pdf"),
             "form": names.form(party), "answer_word": names.answer(party, ".docx"),
             "answer_pdf": names.answer(party, ".pdf"), "zip": names.zip(party)}
    return {**base,
            "party": {"id": party.id, "name": party.name, "kind": getattr(party, "kind", "kommunalförbund"),
                      "email": party.email,
                      "kommunalforbund": group},
            "files": files, "attachments": [*shared_names, files["form"]]}


# -- writing ---------------------------------------------------------------------------------

def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _zip(entries: list[tuple[str, bytes]], when: dt.datetime) -> bytes:
    """A deterministic zip: sorted names, fixed timestamps; stored (docx and PDF are compressed already)."""
    out = io.BytesIO()
    stamp = when.timetuple()[:6]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for name, data in sorted(entries):
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            z.writestr(entry, data)
    return out.getvalue()


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copyfile(source, target)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _build_shared(loaded: Loaded, names: Names, when: dt.datetime, pool: ThreadPoolExecutor,
                  ) -> tuple[list[Shared], list[Any]]:
    """Start building the documents (and the redline); returns the files and the futures to wait for."""
    shared: list[Shared] = []
    futures = []
    version = loaded.info.source.version
    for number, doc_id in enumerate(loaded.info.documents, 1):
        doc = loaded.corpus.document(doc_id)
        for ext, make in ((".docx", lambda d=doc: render_docx(loaded.corpus, d, when, version=version)),
                          (".pdf", lambda d=doc: render_pdf(loaded.corpus, d, when))):
            item = Shared(names.document(number, doc.source.short_title, ext), b"")
            shared.append(item)
            futures.append(pool.submit(lambda item=item, make=make: setattr(item, "data", make())))
    return shared, futures


def _redline(loaded: Loaded, names: Names, staging: Path, pool: ThreadPoolExecutor) -> tuple[list[Shared], Any]:
    """The redline against `compared_with` (each changed document and the ändringsförteckning, Word and PDF):
    the files, named now, and the future that fills in their bytes."""
    from ..redline.diff import compare
    from ..redline.publish import SUMMARY, write_redline

    source = loaded.info.source
    assert loaded.old is not None and source.compared_with
    changes = compare(loaded.old, loaded.corpus, source.compared_with, source.version, names.compared_with,
                      names.version)
    numbers = {doc_id: n for n, doc_id in enumerate(loaded.info.documents, 1)}
    wanted: list[tuple[Shared, str]] = []
    for change in changes.documents:
        doc = change.new or change.old
        if change.touched and doc is not None and doc.id in numbers:
            for ext in (".docx", ".pdf"):
                wanted.append((Shared(names.redline(numbers[doc.id], doc.source.short_title, ext), b""),
                               f"{doc.id}{ext}"))
    wanted += [(Shared(names.summary(ext), b""), f"{SUMMARY}{ext}") for ext in (".docx", ".pdf")]

    def write() -> None:
        folder = write_redline(changes, staging / ".redline", version=source.version)
        for item, file in wanted:
            item.data = (folder / file).read_bytes()

    return [item for item, _ in wanted], pool.submit(write)


@writes_round("pack")
def pack_round(sources: Path, round_id: str, dist: Path, *, templates: Path = TEMPLATES,
               jobs: int | None = None) -> PackReport:
    """Write dist/remiss/ROUND/ whole, or raise SourceError with every problem and write nothing."""
    started = time.perf_counter()
    problems = Problems()
    loaded = _load(sources, round_id, problems)
    missiv_info = check_missiv_template(templates / MISSIV.name, problems)
    form_info = check_form_template(templates / FORM.name, problems)
    if not (templates / PAGE_DESIGN.name).exists():
        shown = relative(templates / PAGE_DESIGN.name)
        problems.add(Location(shown), f"missing {shown}, the page design of the missiv's PDF: restore it from git")
    if loaded is None or missiv_info is None or form_info is None or problems.errors:
        raise SourceError(problems)
    warnings = [str(p) for p in problems.warnings]
    for line in warnings:
        print(line, file=sys.stderr)
    info = loaded.info
    source = info.source
    when = pack_time(source.sent)
    names = Names.of(loaded)
    target = dist / "remiss" / round_id
    report = PackReport(round_id, target, warnings=warnings)
    with replace_folder(target) as staging:
        _write_pack(loaded, names, when, staging, templates, missiv_info, form_info, report, jobs)
        if target.exists():
            _keep_others(target, staging)
    report.seconds = time.perf_counter() - started
    return report


# Other commands' outputs in the same folder: the report and the positions workbook. Everything
# else there is the pack's own (party folders, zips, lists) or derived from it (e-post/).
OTHERS = ("remissammanstallning", "stallningstaganden")


def _keep_others(target: Path, staging: Path) -> None:
    """Hard-link the report and the positions workbook into the new folder.

    The folder is swapped as a whole, so without this a new pack would delete the
    remissammanställning; linking (not moving) leaves the old folder intact until the swap.
    """
    link_entries(target, staging, [entry.name for entry in sorted(target.iterdir())
                                   if entry.name.startswith(OTHERS) and not (staging / entry.name).exists()])


def _write_pack(loaded: Loaded, names: Names, when: dt.datetime, staging: Path, templates: Path, missiv_info,
                form_info, report: PackReport, jobs: int | None) -> None:
    info, source = loaded.info, loaded.info.source
    missiv = MissivWriter(templates / MISSIV.name, missiv_info, when, source.sender.organisation, names.round,
                          templates / PAGE_DESIGN.name)
    rows = tuple(c.id for doc_id in info.documents for c in loaded.corpus.document(doc_id).clauses())
    form = FormWriter(templates / FORM.name, form_info, FormIdentity(source.id, source.version, loaded.checksum, rows),
                      when, names.round)
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        redline, redline_done = _redline(loaded, names, staging, pool) if source.compared_with else ([], None)
        shared, futures = _build_shared(loaded, names, when, pool)
        base = round_context(loaded, names, [s.name for s in redline] or None)
        shared += redline
        shared_names = [s.name for s in shared]
        sample = party_context(base, loaded, names, info.addressees[0], shared_names)
        # The templates first (every letter waits for them), then the documents, then the letters.
        for future in [pool.submit(missiv.prepare, sample), pool.submit(form.prepare, sample)]:
            future.result()

        def letters(party: Addressee) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
            ctx = party_context(base, loaded, names, party, shared_names)
            word, pdf = missiv.render(ctx)
            return ctx, [(ctx["files"]["missiv_word"], word), (ctx["files"]["missiv_pdf"], pdf),
                         (ctx["files"]["form"], form.for_party(ctx))]

        own = [pool.submit(letters, party) for party in info.addressees]
        for future in [*futures, *([redline_done] if redline_done else [])]:
            future.result()
        common = staging / ".shared"
        common.mkdir()
        for item in shared:
            item.sha256 = _sha(item.data)
            item.path = common / item.name
            _write_file(item.path, item.data)

        def package(party: Addressee, made) -> list[tuple[str, int, str]]:
            _, files = made.result()
            folder = staging / party.id
            folder.mkdir()
            rows: list[tuple[str, int, str]] = []
            for name, data in files:
                _write_file(folder / name, data)
                rows.append((f"{party.id}/{name}", len(data), _sha(data)))
            for item in shared:
                assert item.path is not None
                _link(item.path, folder / item.name)
                rows.append((f"{party.id}/{item.name}", len(item.data), item.sha256))
            rows.sort()
            archive = _zip([*files, *((s.name, s.data) for s in shared)], when)
            _write_file(staging / names.zip(party), archive)
            rows.append((names.zip(party), len(archive), _sha(archive)))
            return rows

        per_party = list(pool.map(package, info.addressees, own))
    shutil.rmtree(staging / ".shared")
    shutil.rmtree(staging / ".redline", ignore_errors=True)
    _write_lists(staging, loaded, names, per_party)
    report.parties = len(info.addressees)
    report.files = sum(len(rows) for rows in per_party)
    report.bytes = sum(size for rows in per_party for _, size, _ in rows)
    report.zip_bytes = sum(size for rows in per_party for file, size, _ in rows if file.endswith(".zip"))


def _csv(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _write_lists(staging: Path, loaded: Loaded, names: Names, per_party: list[list[tuple[str, int, str]]]) -> None:
    manifest: list[tuple] = [MANIFEST_HEADER]
    sandlista: list[tuple] = [SANDLISTA_HEADER]
    for party, rows in zip(loaded.info.addressees, per_party):
        flag = "true" if party.email_placeholder else "false"
        for file, size, sha in rows:
            manifest.append((party.id, party.name, party.email, flag, file, size, sha))
        zip_row = next(r for r in rows if r[0] == names.zip(party))
        sandlista.append((party.id, party.name, party.email, flag, zip_row[0], zip_row[1], zip_row[2]))
    _write_file(staging / MANIFEST, _csv(manifest))
    _write_file(staging / f"{SANDLISTA}.csv", _csv(sandlista))
    _write_file(staging / f"{SANDLISTA}.html", _sandlista_html(loaded, sandlista[1:]).encode("utf-8"))
    rows: list[tuple] = [REMISSLISTA_HEADER]
    for heading, parties, members in remisslista(loaded.info):
        for x in members:
            rows.append((x.id, x.name, heading, "true" if parties else "false",
                         "true" if getattr(x, "name_placeholder", False) else "false", x.email,
                         "true" if x.email_placeholder else "false"))
    _write_file(staging / f"{REMISSLISTA}.csv", _csv(rows))
    _write_file(staging / f"{REMISSLISTA}.html", _remisslista_html(loaded.info).encode("utf-8"))


def _remisslista_html(info: RoundInfo) -> str:
    """The remisslista to publish beside the documents: who is asked, parties and other remissinstanser apart."""
    r = info.source
    e = html.escape
    groups = remisslista(info)
    sections = []
    for parties in (True, False):
        chosen = [(h, m) for h, p, m in groups if p == parties]
        if not chosen:
            continue
        count = sum(len(m) for _, m in chosen)
        title = "Parter" if parties else "Övriga remissinstanser"
        lead = (f"De {count} parterna i avtalet." if parties else
                f"{count} remissinstanser som inte är parter. De kan lämna synpunkter och redovisas för sig i "
                "remissammanställningen.")
        tables = []
        for heading, members in chosen:
            body = "".join(
                f"<tr><th scope=\"row\">{e(x.name)}"
                + (" <strong class=placeholder>(exempel, bekräftas)</strong>" if getattr(x, "name_placeholder", False)
                   else "")
                + f"</th><td>{e(getattr(x, 'represents', None) or _KIND_LABEL.get(getattr(x, 'kind', ''), 'Kommunalförbund'))}"
                + f"</td><td>{e(x.email)}"
                + (" <span class=placeholder>(platshållare)</span>" if x.email_placeholder else "")
                + "</td></tr>\n" for x in members)
            tables.append(f"""<table>
<caption>{e(heading)} ({len(members)})</caption>
<thead><tr><th scope="col">Remissinstans</th><th scope="col">Företräder</th><th scope="col">E-post</th></tr></thead>
<tbody>
{body}</tbody>
</table>""")
        sections.append(f'<section aria-labelledby="{"parter" if parties else "ovriga"}">\n'
                        f'<h2 id="{"parter" if parties else "ovriga"}">{title} ({count})</h2>\n<p>{lead}</p>\n'
                        + "\n".join(tables) + "\n</section>")
    examples = sum(1 for x in info.addressees if getattr(x, "name_placeholder", False))
    note = (f"<p><strong>{examples} organisationer är exempel</strong> som arbetsgruppen ska bekräfta eller ersätta "
            "innan remissen skickas.</p>\n" if examples else "")
    main = f"""<h1>Remisslista</h1>
<p>{e(r.title)}. Remissen skickades den {e(wording.long_date(r.sent))}; sista svarsdag är den
{e(wording.long_date(r.deadline))}. Den går till {len(info.recipients)} parter och {len(info.others)} övriga
remissinstanser.</p>
{note}{chr(10).join(sections)}"""
    header = f"<header><p>{e(r.sender.organisation)} · Diarienummer {e(r.diarienummer)}</p></header>\n"
    return _list_page(f"Remisslista – {r.title}", header, main)


_KIND_LABEL = {"region": "Part (region)", "kommun": "Part (kommun)", "samverkansorgan": "Samverkansorgan"}


def _sandlista_html(loaded: Loaded, rows: list[tuple]) -> str:
    """The sändlista to read and print: who gets which package, placeholder addresses marked."""
    r = loaded.info.source
    e = html.escape
    placeholders = sum(1 for row in rows if row[3] == "true")
    def size(n: int) -> str:
        return f"{n:,}".replace(",", "\u00a0")

    body = "".join(
        f"<tr><td>{e(row[1])}</td><td><code>{e(row[0])}</code></td><td>{e(row[2])}"
        + (" <strong class=placeholder>(platshållare)</strong>" if row[3] == "true" else "")
        + f"</td><td><code>{e(row[4])}</code></td><td class=num>{size(row[5])}</td>"
        f"<td><code class=sha>{e(row[6])}</code></td></tr>\n" for row in rows)
    note = (f"<p><strong>{placeholders} av {len(rows)} adresser är platshållare</strong> (domänen .example) och "
            "måste ersättas med registratorernas riktiga adresser i sources/parter.yaml innan remissen skickas.</p>"
            if placeholders else "")
    table = f"""<table>
<caption>{len(rows)} mottagare och deras paket</caption>
<thead><tr><th scope="col">Part</th><th scope="col">Id</th><th scope="col">E-post</th><th scope="col">Paket</th>
<th scope="col">Byte</th><th scope="col">SHA-256</th></tr></thead>
<tbody>
{body}</tbody>
</table>"""
    main = f"""<h1>Sändlista {e(wording.round_name(r))}</h1>
<p>{e(r.title)}<br>Diarienummer {e(r.diarienummer)} · skickas {e(wording.long_date(r.sent))} · svar senast
{e(wording.long_date(r.deadline))}</p>
{note}
{table}"""
    return _list_page(f"Sändlista {wording.round_name(r)}", "", main)


# The web edition's reflow and focus rules (templates/web/style.css) for the round's own list pages:
# tables scroll in their own focusable region, not the page; focus outline 5.9:1 on white.
_LIST_STYLE = """body{font-family:Lato,Arial,sans-serif;margin:2em;color:#1a1a1a;max-width:60em;overflow-wrap:break-word}
h1,h2{color:#003a6e}@media (max-width:30em){body{margin:1em}}
:focus-visible{outline:3px solid #9e4f00;outline-offset:2px}.table-scroll{overflow-x:auto;margin:0 0 1.5em}
@media print{.table-scroll{overflow:visible}}
table{border-collapse:collapse}caption{text-align:left;font-weight:bold;padding:.3em 0}
th,td{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}thead th{background:#dce6f0}
tbody th{font-weight:normal}.num{text-align:right}.sha{display:block;min-width:14em;font-size:.75em;word-break:break-all}
.placeholder{color:#a30d22}"""


def _list_page(title: str, header: str, main: str) -> str:
    """A standalone page of the round (sändlista, remisslista): lang, landmarks, tables in scrolling regions."""
    return f"""<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_LIST_STYLE}</style></head>
<body>
{header}<main>
{scrolling_tables(main)}
</main>
</body>
</html>
"""
