"""The figures of `peers.py`, before and after a change: the code of REV against this checkout, in turns.

On a shared machine two benchmark runs minutes apart can differ by 15 % in speed; alternating the two
versions' runs, figure by figure, lets that drift hit both alike. Each side runs its own commands and
its own bench stand-ins (`peers.PDFS_OURS`, `_redline_word.py`), on corpora made the same way; REV
needs a `bench/peers.py`. The other side of each pair is this checkout, as `make` installed it.

Run: .venv/bin/python bench/_before_after.py REV [--runs 9] [--only "edit + build,…"]
(not part of `make bench`: it needs a revision to compare with). Writes bench/results/before_after-REV.json,
one file per revision compared with, so the README's before/after tables each keep their record.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import sysconfig
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import peers

ROOT = peers.ROOT
RESULTS = ROOT / "bench" / "results"
LAUNCHER = """import sys
from avtal import cli
sys.exit(cli.run() if hasattr(cli, "run") else cli.main())
"""


class Side:
    """One version's code: where its tools and bench are, and how its `avtal` and python are started."""

    def __init__(self, tools: Path, bench: Path, bin_dir: Path, pythonpath: str | None):
        self.tools, self.bench, self.bin = tools, bench, bin_dir
        spec = importlib.util.spec_from_file_location(f"peers_{id(self)}", bench / "peers.py")
        self.peers = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.peers)
        self.env = {**self.peers.ENV, **({"PYTHONPATH": pythonpath} if pythonpath else {})}
        self.peers.AVTAL, self.peers.ENV = str(bin_dir / "avtal"), self.env  # its corpora made by its own code

    def avtal(self, *args: str) -> list[str]:
        return [str(self.bin / "avtal"), *args]

    def python(self, *args: str) -> list[str]:
        return [str(self.bin / "python"), *args]

    def timed(self, command: list[str], before: Callable[[], object] = lambda: None) -> Callable[[], float]:
        return self.peers.timed(command, before)  # run with its ENV: its own code


def checkout(rev: str, folder: Path) -> Side:
    """REV in a detached worktree, run by a venv of its own that sees this checkout's packages but not its code."""
    tree = folder / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), rev], check=True)
    if not (tree / "bench" / "peers.py").is_file():
        raise SystemExit(f"{rev} has no bench/peers.py: nothing to compare its figures by")
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    here = Path(sysconfig.get_paths()["purelib"])
    there = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                check=True, capture_output=True, text=True).stdout.strip())
    (there / "this-checkouts-packages.pth").write_text(f"{here}\n")  # a plain path: its .pth (our code) is not read
    (venv / "bin" / "avtal").write_text(f"#!{venv / 'bin' / 'python'}\n{LAUNCHER}")
    (venv / "bin" / "avtal").chmod(0o755)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "tools"), str(tree / "bench")], check=True)
    return Side(tree / "tools", tree / "bench", venv / "bin", str(tree / "tools"))


def cases(side: Side, work: Path) -> dict[str, Callable[[], float]]:
    """The figures of `peers.figures`, without their peers, for one side, on corpora its own bench makes."""
    found: dict[str, Callable[[], float]] = {}
    own = side.peers
    # A REV from before kept loads (56f9ac1) has no `uncached`; this checkout's empties its dist/ alike.
    uncached = getattr(own, "uncached", peers.uncached)
    sources = own.corpus(work / "one", 1)
    dist = work / "one" / "dist"
    found["cold build"] = side.timed(side.avtal("--sources", str(sources), "build", "--dist", str(dist)),
                                     uncached(sources, dist))
    (work / "pdfs").mkdir()
    found["5 PDFs"] = side.timed(side.python("-c", own.PDFS_OURS, str(sources), str(work / "pdfs")),
                                 uncached(sources))
    edit = own.corpus(work / "edit", 1)
    build = side.avtal("--sources", str(edit), "build", "--dist", str(work / "edit" / "dist"))
    subprocess.run(build, env=side.env, check=True, stdout=subprocess.DEVNULL)
    found["edit + build"] = side.timed(build, lambda: own.edit_clause(edit))
    found["--help"] = side.timed(side.avtal("--help"))
    found["check, kept load"] = side.timed(side.avtal("--sources", str(sources), "check"))
    for factor in (1, 8):
        pair, _, _ = own.redline_pair(work / f"redline-{factor}", factor)
        if factor == 8:
            found["check 8x, no kept load"] = side.timed(side.avtal("--sources", str(pair), "check"),
                                                         uncached(pair))
        word = side.python(str(side.bench / "_redline_word.py"), str(pair), "fore", "working",
                           str(work / f"redline-{factor}" / "out.docx"))
        found[f"Word redline {factor}x"] = side.timed(word)
        found[f"Word redline {factor}x, no kept load"] = side.timed(word, uncached(pair))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("rev", help="the revision to compare this checkout with, e.g. HEAD~3")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--only", default="", help="comma-separated figure names")
    args = parser.parse_args()
    here = Side(ROOT / "tools", ROOT / "bench", Path(sys.executable).parent, None)
    with tempfile.TemporaryDirectory(prefix="avtal-bench-before-after-") as tmp:
        folder = Path(tmp)
        try:
            before = checkout(args.rev, folder / "before")
            sides = {"before": cases(before, folder / "work-before"), "after": cases(here, folder / "work-after")}
            wanted = [n for n in sides["after"] if not args.only or n in args.only.split(",")]
            print(f"before: {args.rev}; after: this checkout; medians of {args.runs} alternating runs")
            print(f"{'figure':<34}{'before':>9}{'after':>9}{'after/before':>14}")
            found = {}
            for name in wanted:
                row = peers.alternate(sides["after"][name], sides["before"][name], args.runs)  # "ours" is after
                found[name] = {"before_s": row["peer_s"], "after_s": row["ours_s"], "ratio": row["ratio"],
                               "before_samples": row["peer_samples"], "after_samples": row["ours_samples"]}
                print(f"{name:<34}{row['peer_s']:>8.3f}s{row['ours_s']:>8.3f}s{row['ratio']:>13.3f}", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder / "before" / "tree")],
                           capture_output=True)
    out = RESULTS / f"before_after-{args.rev.replace('/', '_')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "before": args.rev,
                               "runs": args.runs, "figures": found}, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
