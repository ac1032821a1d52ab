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

import datetime as dt
import hashlib
import os
import re
import shutil
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...archive import zip_bytes
from ...fsutil import link_entries, replace_folder
from ...model import Corpus
from ...model.problems import Location, Problems, SourceError, relative
from ...model.remiss import Addressee, RoundInfo, load_round
from ...model.versions import load_version, read_version, versions_dir
from ...render import wording
from ...render.docx import render_docx
from ...render.house import TEMPLATES
from ...render.pdf import render_pdf
from ..record.lock import writes_round
from .form import FormIdentity, FormWriter, check_form_template
from .lists import remisslista_context, round_lists
from .missiv import PAGE_DESIGN, MissivWriter, check_missiv_template
from .templates import FORM, MISSIV


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
        "remisslista": remisslista_context(loaded.info),
        "parties_count": len(loaded.info.recipients), "others_count": len(loaded.info.others),
        "documents": documents,
        "redline": {"compared_with": r.compared_with, "compared_with_name": names.compared_with,
                    "files": redline_files} if redline_files else None,
    }


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


COMPRESSED = (".docx", ".xlsx", ".zip", ".png", ".jpg", ".jpeg")  # zips and images: deflating again gains ~3 %


def already_compressed(name: str) -> bool:
    """Members stored as they are; the rest (typst's PDFs deflate to 43–51 %, text) are deflated."""
    return name.lower().endswith(COMPRESSED)


def _package_zip(entries: list[tuple[str, bytes]], when: dt.datetime) -> bytes:
    """A party's zip: sorted names; Word files stored, PDFs deflated."""
    return zip_bytes(sorted(entries), when, stored=already_compressed)


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
    from ...redline.diff import compare
    from ...redline.publish import SUMMARY, write_redline

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
            archive = _package_zip([*files, *((s.name, s.data) for s in shared)], when)
            _write_file(staging / names.zip(party), archive)
            rows.append((names.zip(party), len(archive), _sha(archive)))
            return rows

        per_party = list(pool.map(package, info.addressees, own))
    shutil.rmtree(staging / ".shared")
    shutil.rmtree(staging / ".redline", ignore_errors=True)
    for name, data in round_lists(loaded.info, names.zip, per_party).items():
        _write_file(staging / name, data)
    report.parties = len(info.addressees)
    report.files = sum(len(rows) for rows in per_party)
    report.bytes = sum(size for rows in per_party for _, size, _ in rows)
    report.zip_bytes = sum(size for rows in per_party for file, size, _ in rows if file.endswith(".zip"))
