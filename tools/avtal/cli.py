"""The `avtal` command: thin argument parsing over the library (bodies of a few lines)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from .model import Problems, load

SOURCES = Path("sources")


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
    corpus, problems = load(args.sources)
    code = _report(problems, args.strict)
    if corpus is not None and code == 0:
        clauses = sum(1 for d in corpus.documents for _ in d.clauses())
        print(f"ok: {len(corpus.documents)} documents, {clauses} clauses, {len(corpus.terms)} terms "
              f"checked in {time.perf_counter() - started:.2f} s")
    return code


def cmd_build(args: argparse.Namespace) -> int:
    corpus, problems = load(args.sources)
    if corpus is None:
        return _report(problems, strict=False) or 1
    from .render.build import build

    report = build(corpus, args.dist, jobs=args.jobs, force=args.force)
    print(f"built {len(report.built)} file(s), {len(report.unchanged)} unchanged"
          f"{f', {len(report.removed)} removed' if report.removed else ''} in {report.seconds:.2f} s → {args.dist}/")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .model.jsonschema import write_schemas

    for path in write_schemas(args.sources / "schema"):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="avtal", description="Drafting toolchain for the Hälso- och sjukvårdsavtal.")
    parser.add_argument("--sources", type=Path, default=SOURCES, help="source folder (default: sources)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    check = command("check", cmd_check, "validate all sources and report every problem")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build = command("build", cmd_build, "write Word, PDF and web versions of every document into dist/")
    build.add_argument("--dist", type=Path, default=Path("dist"), help="output folder (default: dist)")
    build.add_argument("--jobs", type=int, default=None, help="parallel workers (default: number of cores)")
    build.add_argument("--force", action="store_true", help="rebuild everything, even outputs that are up to date")
    command("schema", cmd_schema, "regenerate the JSON Schemas editors use (sources/schema/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
