"""How long `avtal check` takes on the real sources: the drafter's edit-check loop.

Measures load + validate of every source in-process (median of 9 runs after
one warm-up) and the wall time of `avtal check` as a subprocess (median of 5),
which adds interpreter start-up and imports: the time a person actually waits.
Goal: load + validate in at most 0.2 s, so checking on every save stays instant.
Writes bench/results/load.json.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
RESULTS = ROOT / "bench" / "results" / "load.json"
GOAL_S = 0.2
RUNS = 9
CLI_RUNS = 5

from avtal.fsutil import atomic_write_text  # noqa: E402
from avtal.model import load  # noqa: E402


def in_process() -> tuple[list[float], dict]:
    corpus, problems = load(SOURCES, root=ROOT)  # warm-up: imports, caches, page cache
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        corpus, problems = load(SOURCES, root=ROOT)
        times.append(time.perf_counter() - started)
    size = {
        "files": 3 + len(list((SOURCES / "documents").glob("*.yaml"))),
        "bytes": sum(p.stat().st_size for p in SOURCES.rglob("*.yaml")),
        "documents": len(corpus.documents) if corpus else None,
        "clauses": sum(1 for d in corpus.documents for _ in d.clauses()) if corpus else None,
        "terms": len(corpus.terms) if corpus else None,
        "errors": len(problems.errors),
        "warnings": len(problems.warnings),
    }
    return times, size


def command() -> list[str]:
    installed = Path(sys.executable).parent / "avtal"
    return [str(installed)] if installed.is_file() else [sys.executable, "-m", "avtal.cli"]


def cli() -> tuple[list[float], list[int]]:
    times, codes = [], []
    for _ in range(CLI_RUNS):
        started = time.perf_counter()
        result = subprocess.run([*command(), "check"], cwd=ROOT, capture_output=True)
        times.append(time.perf_counter() - started)
        codes.append(result.returncode)
    return times, codes


def summary(times: list[float]) -> dict:
    return {"runs": len(times), "median_s": round(statistics.median(times), 4),
            "min_s": round(min(times), 4), "max_s": round(max(times), 4)}


def main() -> int:
    load_times, size = in_process()
    cli_times, codes = cli()
    result = {
        "benchmark": "load",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "goal_s": GOAL_S,
        "sources": size,
        "load_validate": {**summary(load_times), "goal_met": statistics.median(load_times) <= GOAL_S},
        "cli_check": {**summary(cli_times), "exit_codes": codes},
    }
    atomic_write_text(RESULTS, json.dumps(result, ensure_ascii=False, indent=2) + "\n")

    goal = "met" if result["load_validate"]["goal_met"] else "MISSED"
    print(f"sources: {size['files']} files, {size['bytes'] / 1024:.0f} KiB, {size['documents']} documents, "
          f"{size['clauses']} clauses, {size['errors']} errors, {size['warnings']} warnings")
    print(f"{'measure':<28}{'runs':>5}{'median':>10}{'min':>10}{'max':>10}")
    for name, s in (("load + validate (in-process)", result["load_validate"]),
                    ("avtal check (subprocess)", result["cli_check"])):
        print(f"{name:<28}{s['runs']:>5}{s['median_s']:>9.3f}s{s['min_s']:>9.3f}s{s['max_s']:>9.3f}s")
    print(f"goal load + validate <= {GOAL_S} s: {goal}; avtal check exit codes {codes}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
