"""The `avtal` command: thin argument parsing over the library (bodies of a few lines)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from .gcpause import exit_now, lives_until_exit
from .model.problems import Problems, SourceError

SOURCES = Path("sources")
DIST = Path("dist")
DATE_FORMAT = "YYYY-MM-DD"


def _date(text: str) -> dt.date:
    """An argparse type: a friendly one-line refusal naming the expected format (argparse adds the option)."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: expected {DATE_FORMAT}, "
                                         "e.g. 2026-03-31") from None


class _Parser(argparse.ArgumentParser):
    """Usage errors on one line (`avtal remiss import: error: argument --received: …`), with where to look."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _project_root(here: Path) -> Path | None:
    """The nearest folder at or above `here` holding sources/avtal.yaml: commands work from any subfolder."""
    for folder in (here, *here.parents):
        if (folder / SOURCES / "avtal.yaml").is_file():
            return folder
    return None


def _enter_project(args: argparse.Namespace) -> None:
    """Run from the project's root when started in a subfolder with the default --sources.

    Paths the user typed stay relative to where they typed them; the defaults (sources/, dist/) are the
    project's.
    """
    if args.sources is not SOURCES or (Path.cwd() / SOURCES).exists():
        return
    here = Path.cwd()
    root = _project_root(here)
    if root is None or root == here:
        return

    def absolute(value):
        if isinstance(value, Path) and value is not DIST and not value.is_absolute():
            return here / value
        if isinstance(value, list):
            return [absolute(v) for v in value]
        return value
    for key, value in vars(args).items():
        if key != "sources":
            setattr(args, key, absolute(value))
    os.chdir(root)


def _report(problems: Problems, strict: bool) -> int:
    """Print every problem; return the exit code (1 when any error)."""
    shown = problems.strict() if strict else problems
    for problem in shown:
        print(problem, file=sys.stderr)
    errors, warnings = len(shown.errors), len(shown.warnings)
    if errors or warnings:
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def cmd_check(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with lives_until_exit():
        from .model import load
        from .remiss.check import further_problems

        corpus, problems = load(args.sources)
    problems.extend(further_problems(args.sources, corpus))
    code = _report(problems, args.strict)
    if corpus is not None and code == 0:
        clauses = sum(1 for d in corpus.documents for _ in d.clauses())
        print(f"ok: {len(corpus.documents)} documents, {clauses} clauses, {len(corpus.terms)} terms "
              f"checked in {time.perf_counter() - started:.2f} s")
    return code


def cmd_build(args: argparse.Namespace) -> int:
    with lives_until_exit():
        from .model import load

        corpus, problems = load(args.sources, keep_later=True)  # kept while typst lays out (render.build)
    if corpus is None:
        return _report(problems, strict=False) or 1
    from .render.build import build

    report = build(corpus, args.dist, jobs=args.jobs, force=args.force)
    print(f"built {len(report.built)} file(s), {len(report.unchanged)} unchanged"
          f"{f', {len(report.removed)} removed' if report.removed else ''} in {report.seconds:.2f} s → {args.dist}/")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import serve

    return serve(args.sources, args.dist, port=args.port, round_id=args.round)


def cmd_freeze(args: argparse.Namespace) -> int:
    from .model.freeze import freeze

    version = freeze(args.sources, args.name, date=args.date or dt.date.today(), status=args.status, title=args.title)
    print(f"froze {version.name} ({version.status}, {version.date}{f', {version.title!r}' if version.title else ''})"
          f" → {version.folder}")
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from .model.versions import list_versions
    from .render.wording import version_name

    for v in list_versions(args.sources):
        print(f"{v.name:<24} {v.date}  {v.status:<14} sha256:{v.checksum[:16]}  “{version_name(v)}”")
    print(f"{'working':<24} {'':10}  (the current sources)")
    return 0


def cmd_redline(args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    started = time.perf_counter()
    with lives_until_exit():
        from .model.versions import frozen_version, load_version
        from .redline.diff import compare
        from .redline.publish import write_redline

        old, old_name = load_version(args.sources, args.old)
        new, new_name = load_version(args.sources, args.new)
    titles = [v.title if (v := frozen_version(args.sources, spec)) else None for spec in (args.old, args.new)]
    changes = compare(old, new, old_name, new_name, *titles)
    from .remiss.report.trace import redline_notes

    frozen = frozen_version(args.sources, args.new) is not None  # only a frozen TO is a stable base for `apply`
    with ThreadPoolExecutor(max_workers=1) as pool:  # the remiss comments behind each change, read while typst runs
        later = pool.submit(redline_notes, args.sources, changes, args.round)
        folder = write_redline(changes, args.dist, lambda: later.result().notes, version=new_name if frozen else None)
    notes = later.result()
    if str(notes):
        print(notes)
    for doc in changes.documents:
        if doc.touched:
            counts = [f"{n} {k}" for k, n in _count(doc.changes).items()]
            counts += ["preamble changed"] * doc.preamble_changed + [f"metadata: {', '.join(doc.meta)}"] * bool(doc.meta)
            print(f"{doc.id}: {', '.join(counts)}")
    if changes.is_empty:
        print("no changes")
    print(f"wrote {folder} in {time.perf_counter() - started:.2f} s")
    return 0


def _count(changes) -> dict[str, int]:
    counts: dict[str, int] = {}
    for change in changes:
        for kind in sorted(change.kinds):
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def cmd_schema(args: argparse.Namespace) -> int:
    from .model.jsonschema import write_schemas

    for path in write_schemas(args.sources / "schema"):
        print(f"wrote {path}")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from .apply.engine import apply_word_file

    mode = "accept-all" if args.accept_all else "review" if args.review else "dry-run"
    report = apply_word_file(args.sources, args.file, mode, base=args.base, comments_to=args.comments_to,
                             delete=frozenset(args.delete))
    print(report)
    return 0 if report.ok else 1


# -- avtal remiss … : each body calls one library function and prints its report --

def cmd_remiss_pack(args: argparse.Namespace) -> int:
    from .remiss.outgoing.pack import pack_round

    print(pack_round(args.sources, args.round, args.dist))
    return 0


def cmd_remiss_mail(args: argparse.Namespace) -> int:
    from .remiss.outgoing.mail import mail_round

    print(mail_round(args.sources, args.round, args.dist, send=args.send, resend=tuple(args.resend), force=args.force,
                     to=args.to, every=args.all, progress=_progress))
    return 0


def _progress(delivery) -> None:
    """One line per message as the server answers, so a long send shows where it is."""
    print(f"  {delivery.outcome:<8}  {delivery.party}  <{delivery.address}>", file=sys.stderr, flush=True)


def cmd_remiss_new(args: argparse.Namespace) -> int:
    from .remiss.lifecycle import new_round

    print(new_round(args.sources, args.round, args.version, previous=args.previous, sent=args.sent,
                    deadline=args.deadline, compared_with=args.compared_with, diarienummer=args.diarienummer))
    return 0


def cmd_remiss_extend(args: argparse.Namespace) -> int:
    from .remiss.lifecycle import set_extension

    print(set_extension(args.sources, args.round, args.party, None if args.remove else args.until))
    return 0


def cmd_remiss_remind(args: argparse.Namespace) -> int:
    from .remiss.outgoing.followup import remind

    print(remind(args.sources, args.round, args.dist, send=args.send, resend=tuple(args.resend), progress=_progress))
    return 0


def cmd_remiss_receipt(args: argparse.Namespace) -> int:
    from .remiss.outgoing.followup import receipt

    print(receipt(args.sources, args.round, args.dist, tuple(args.parties), send=args.send,
                  resend=tuple(args.resend), progress=_progress))
    return 0


def cmd_remiss_import(args: argparse.Namespace) -> int:
    from .remiss.incoming.importer import import_files

    print(import_files(args.sources, args.round, args.files, party=args.party, on_behalf_of=tuple(args.on_behalf_of),
                       received=args.received, batch=args.batch, sender=args.sender))
    return 0


def cmd_remiss_status(args: argparse.Namespace) -> int:
    from .remiss.record.status import round_status

    print(round_status(args.sources, args.round).render(args.format), end="")
    return 0


def cmd_remiss_position(args: argparse.Namespace) -> int:
    from .remiss.record.positions import set_position

    print(set_position(args.sources, args.round, args.comments, status=args.status, reason=args.motivering,
                       clauses=tuple(args.clauses), terms=tuple(args.terms), general=tuple(args.general)))
    return 0


def cmd_remiss_export(args: argparse.Namespace) -> int:
    from .remiss.record.workbook import export_positions

    print(export_positions(args.sources, args.round, args.output))
    return 0


def cmd_remiss_import_positions(args: argparse.Namespace) -> int:
    from .remiss.record.workbook import import_positions

    print(import_positions(args.sources, args.round, args.file))
    return 0


def cmd_remiss_report(args: argparse.Namespace) -> int:
    from .remiss.report.report import write_report

    print(write_report(args.sources, args.round, args.dist, against=args.against))
    return 0


def cmd_remiss_apply(args: argparse.Namespace) -> int:
    from .apply.proposal import apply_proposal

    mode = "accept-all" if args.accept_all else "review" if args.review else "dry-run"
    report = apply_proposal(args.sources, args.round, args.comment, mode)
    print(report)
    return 0 if report.ok else 1


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _add_remiss(sub) -> None:
    from .model.statuses import POSITION_STATUSES

    remiss = sub.add_parser("remiss", help="remiss rounds: packages, e-mail, answers, positions, report",
                            description="Send a remiss round and compile its answers.")
    rsub = remiss.add_subparsers(dest="remiss_command", required=True, metavar="SUBCOMMAND", parser_class=_Parser)

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = rsub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        p.add_argument("round", metavar="ROUND", help="round id, e.g. remiss-2025 (sources/remiss/ROUND.yaml)")
        return p

    dist = dict(type=Path, default=DIST, help="output folder (default: dist)")
    pack = command("pack", cmd_remiss_pack, "write one package per party (missiv, documents, redline, svarsformulär), "
                   "zips, manifest.csv and sändlista into dist/remiss/ROUND/")
    pack.add_argument("--dist", **dist)
    mail = command("mail", cmd_remiss_mail, "write one .eml per party with its package attached; --send sends them "
                   "by SMTP (AVTAL_SMTP_* variables), once per party")
    mail.add_argument("--dist", **dist)
    mail.add_argument("--send", action="store_true", help="send for real (default: dry run, .eml files only)")
    mail.add_argument("--resend", action="append", default=[], metavar="PARTY",
                      help="send again to PARTY although the send log says it was sent (repeatable)")
    mail.add_argument("--force", action="store_true", help="send although the deadline has passed or is under "
                      "three months away")
    mail.add_argument("--to", metavar="ADDRESS", help="a test: send the first recipient's message (marked [TEST]) "
                      "to ADDRESS only; the send log is not touched")
    mail.add_argument("--all", action="store_true", help="with --to: send every recipient's message to ADDRESS")
    new = command("new", cmd_remiss_new, "start a round from the previous one: recipients, contacts, sender and "
                  "letter carry over; version, dates and deadline are the new round's")
    new.add_argument("--version", required=True, metavar="V", help="the frozen version to send")
    new.add_argument("--from", dest="previous", metavar="PREVIOUS", help="the round to start from (default: the "
                     "one sent last)")
    new.add_argument("--sent", type=_date, help="date sent (default: today)")
    new.add_argument("--deadline", type=_date, help="last day to answer (default: three months after --sent)")
    new.add_argument("--compared-with", metavar="VERSION", help="version the redline is made against (default: "
                     "PREVIOUS's version)")
    new.add_argument("--diarienummer", metavar="DNR", help="case number (default: PREVIOUS's)")
    extend = command("extend", cmd_remiss_extend, "give one party or remissinstans a later deadline (recorded "
                     "under extensions: in the round file)")
    extend.add_argument("party", metavar="PARTY")
    until = extend.add_mutually_exclusive_group(required=True)
    until.add_argument("--until", type=_date, help="its new last day to answer")
    until.add_argument("--remove", action="store_true", help="remove its extension")
    for name, func, text in (("remind", cmd_remiss_remind, "e-mail a påminnelse to each recipient without an answer "
                              "(dry run by default; sent once, logged in paminnelser.yaml)"),
                             ("receipt", cmd_remiss_receipt, "e-mail a mottagningskvitto for each imported answer "
                              "to the address it came from (dry run by default; sent once, logged in "
                              "kvittenser.yaml)")):
        notice = command(name, func, text)
        if name == "receipt":
            notice.add_argument("parties", metavar="PARTY", nargs="*", help="only these answerers (default: all)")
        notice.add_argument("--dist", **dist)
        notice.add_argument("--send", action="store_true", help="send for real (default: dry run, .eml files only)")
        notice.add_argument("--resend", action="append", default=[], metavar="PARTY",
                            help="send again to PARTY although the log says it was sent (repeatable)")
    imp = command("import", cmd_remiss_import, "import remissvar: filled forms, returned drafts with comments and "
                  "tracked changes, letters (docx/PDF) and hand-written YAML answers")
    imp.add_argument("files", metavar="FILE", nargs="*", type=Path)
    imp.add_argument("--batch", type=Path, metavar="FILE.yaml", help="a list of received files, each with its own "
                     "party, on_behalf_of and received date (files: [{file, party, on_behalf_of, received}])")
    imp.add_argument("--party", help="the party or kommunalförbund that sent the files (when the file cannot say)")
    imp.add_argument("--on-behalf-of", type=_ids, default=[], metavar="ID,...",
                     help="a joint answer: the parties it covers")
    imp.add_argument("--received", type=_date, help="date received (default: today); for a file already "
                     "imported, corrects the recorded date")
    imp.add_argument("--sender", metavar="ADDRESS", help="the address the answer came from (receipts go there; "
                     "default: the answerer's registrar)")
    status = command("status", cmd_remiss_status, "who has answered, late, jointly or not at all; reminder list")
    status.add_argument("--format", choices=["table", "csv", "json"], default="table")
    position = command("position", cmd_remiss_position, "record the working group's position on one or more comments")
    position.add_argument("comments", metavar="COMMENT", nargs="+", help="comment ids, e.g. boras-3")
    position.add_argument("--status", required=True, choices=POSITION_STATUSES)
    position.add_argument("--motivering", required=True, metavar="TEXT", help="the group's reason")
    position.add_argument("--clauses", type=_ids, default=[], metavar="ID,...", help="clause ids the decision changed")
    position.add_argument("--terms", type=_ids, default=[], metavar="ID,...", help="glossary term ids whose word or "
                          "definition the decision changed")
    position.add_argument("--general", type=_ids, default=[], metavar="DOC,...", help="documents whose general text "
                          "(preamble, title) the decision changed")
    export = command("export", cmd_remiss_export, "write an .xlsx of every comment with position columns to fill in")
    export.add_argument("--output", "-o", type=Path, default=None,
                        help="file to write (default: dist/remiss/ROUND/stallningstaganden.xlsx)")
    imp_pos = command("import-positions", cmd_remiss_import_positions, "read positions back from the filled .xlsx")
    imp_pos.add_argument("file", metavar="FILE.xlsx", type=Path)
    apply = command("apply", cmd_remiss_apply, "write a comment's proposed wording (a returned draft's tracked "
                    "change, or “Ersätt ”X” med ”Y”.”) into the working sources and record it on the comment's "
                    "position")
    apply.add_argument("comment", metavar="COMMENT-ID", help="e.g. boras-5")
    how = apply.add_mutually_exclusive_group()
    how.add_argument("--accept-all", action="store_true", help="write the edit (unless it is a conflict)")
    how.add_argument("--review", action="store_true", help="show the edit and ask before writing it")
    how.add_argument("--dry-run", action="store_true", help="print the YAML diff only (the default)")
    report = command("report", cmd_remiss_report, "write the remissammanställning (docx, PDF, web, xlsx)")
    report.add_argument("--dist", **dist)
    report.add_argument("--against", metavar="VERSION",
                        help="a later version: show for each comment whether its clause changed, with redline links")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="avtal", description="Drafting toolchain for the Hälso- och sjukvårdsavtal.")
    parser.add_argument("--version", action=_Version, nargs=0, default=argparse.SUPPRESS,
                        help="show the installed version and exit")
    parser.add_argument("--sources", type=Path, default=SOURCES, help="source folder (default: sources, found in "
                        "this folder or the nearest one above it)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    check = command("check", cmd_check, "validate all sources and report every problem")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build = command("build", cmd_build, "write Word, PDF and web versions of every document into dist/")
    build.add_argument("--dist", type=Path, default=DIST, help="output folder (default: dist)")
    build.add_argument("--jobs", type=int, default=None, help="PDFs laid out at once (default: number of cores; Word and "
                       "web pages are written alongside)")
    build.add_argument("--force", action="store_true", help="rebuild everything, even outputs that are up to date")
    serve = command("serve", cmd_serve, "live preview: serve dist/ on 127.0.0.1, rebuild what an edit touches and "
                    "update the open pages; errors from `avtal check` show over the page")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0: any free port)")
    serve.add_argument("--dist", type=Path, default=Path("dist"), help="output folder (default: dist)")
    serve.add_argument("--round", metavar="ROUND", help="the remiss round the pages show (default: the latest)")
    freeze = command("freeze", cmd_freeze, "record the current sources as an immutable named version")
    freeze.add_argument("name", help="version name, e.g. remiss-2025")
    freeze.add_argument("--date", type=_date, help="version date (default: today)")
    freeze.add_argument("--status", default="remissversion", choices=["arbetsutkast", "remissversion", "förslag",
                                                                      "beslutad"], help="status stamped on all documents")
    freeze.add_argument("--title", help="what readers call the version, e.g. 'Förslag till SRO 2025-08-21' "
                        "(default: status and date, 'Förslag 2025-08-21')")
    redline = command("redline", cmd_redline, "redline between two versions: Word tracked changes, PDF, web and "
                      "an ändringsförteckning in dist/redline/FROM--TO/")
    redline.add_argument("old", metavar="FROM", help="frozen version, git ref or 'working'")
    redline.add_argument("new", metavar="TO", help="frozen version, git ref or 'working'")
    redline.add_argument("--dist", type=Path, default=DIST, help="output folder (default: dist)")
    redline.add_argument("--round", metavar="ROUND", help="annotate changed clauses with the comments of this remiss "
                         "round behind them (default: the round whose positions name TO as `against`)")
    apply = command("apply", cmd_apply, "write the edits made in one of our Word files (tracked or not) into the "
                    "working sources, clause by clause; conflicts with later source edits are shown, never applied")
    apply.add_argument("file", metavar="FILE.docx", type=Path)
    how = apply.add_mutually_exclusive_group()
    how.add_argument("--accept-all", action="store_true", help="write every edit that is not a conflict")
    how.add_argument("--review", action="store_true", help="show each clause's edit and ask before writing it")
    how.add_argument("--dry-run", action="store_true", help="print the YAML diff only (the default)")
    apply.add_argument("--base", metavar="VERSION", help="the version the file was made from, when the file does "
                       "not name it and its text matches neither the working sources, a frozen version nor a git "
                       "commit: the frozen version or git commit it was made from")
    apply.add_argument("--delete", metavar="CLAUSE-ID", action="append", default=[], help="apply the deletion of "
                       "this clause in Word (never applied otherwise; refused while other clauses refer to it)")
    apply.add_argument("--comments-to", metavar="ROUND", help="also record the file's Word comments in this remiss "
                       "round as comments of the working group (svar/arbetsgruppen.yaml), on their clauses; once each")
    command("versions", cmd_versions, "list frozen versions (and verify their checksums)")
    command("schema", cmd_schema, "regenerate the JSON Schemas editors use (sources/schema/)")
    _add_remiss(sub)
    return parser


class _Version(argparse.Action):
    """`--version`, looked up only when asked for: importlib.metadata costs every other command ~10 ms."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"avtal {_installed_version()}")
        parser.exit()


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("avtal")
    except PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _enter_project(args)
    try:
        return args.func(args)
    except SourceError as exc:
        return _report(exc.problems, strict=False) or 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def run() -> NoReturn:
    """The installed `avtal` command: `main`, then `exit_now` (also after --help, --version or a usage error)."""
    try:
        code = main()
    except SystemExit as stop:  # argparse's exits, with sys.exit's meaning of its code
        code = stop.code
        if not isinstance(code, int):
            if code is not None:
                print(code, file=sys.stderr)
            code = 0 if code is None else 1
    exit_now(code)


if __name__ == "__main__":
    run()
