"""Benchmark `avtal remiss pack` (issue 5): all 50 packages with PDFs, zips and manifest.

Measured in one run, medians of N runs:
  ours   - `avtal remiss pack remiss-2025` into an empty dist/ (subprocess wall time, includes Python
           start-up): 5 documents x Word + PDF built once, 50 missiv (Word + PDF/UA), 50 svarsformulär,
           50 folders, 50 zips, manifest.csv, sändlista
  peer   - the usual mail-merge route, done for a SAMPLE of 5 parties and extrapolated linearly to 50
           (x10; stated in the output): per party, docxtpl re-reads and renders the missiv and the form
           templates, headless LibreOffice converts the missiv to PDF (one soffice start per letter, as
           mail-merge scripts do), the documents are copied into the party's folder and the folder is
           zipped (deflate); plus, once, the five documents' PDFs converted by LibreOffice (their Word
           files are given to the peer for free).
The ratio peer / ours is reported; goal: ours <= 5 s.
Run: .venv/bin/python bench/pack.py [--runs 5] [--no-peer]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AVTAL = str(Path(sys.executable).with_name("avtal"))
ROUND = "remiss-2025"
SAMPLE = 5


def ours(work: Path, runs: int, env: dict[str, str]) -> tuple[list[float], list[float], list[float], Path]:
    """Whole-command times, the in-process times the command reports, and CPU seconds (user + system)."""
    dist = work / "dist"
    wall, inner, cpu = [], [], []
    for _ in range(runs):
        shutil.rmtree(dist, ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = subprocess.run([AVTAL, "--sources", str(ROOT / "sources"), "remiss", "pack", ROUND, "--dist",
                              str(dist)], check=True, capture_output=True, text=True, env=env, cwd=work)
        wall.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        inner.append(float(re.search(r"in ([\d.]+) s", out.stdout)[1]))
    return wall, inner, cpu, dist / "remiss" / ROUND


def peer(work: Path, pack: Path, runs: int, soffice: str) -> tuple[list[float], list[float]]:
    """The mail-merge route: (per-sample-of-5 times, one-off document PDF times)."""
    sys.path.insert(0, str(ROOT))
    from docxtpl import DocxTemplate

    from avtal.model.remiss import load_round
    from avtal.model.versions import load_version
    from avtal.remiss.outgoing.pack import Loaded, Names, party_context, round_context
    from avtal.remiss.outgoing.templates import FORM, MISSIV

    info = load_round(ROOT / "sources", ROUND)
    corpus, _ = load_version(ROOT / "sources", info.source.version)
    loaded = Loaded(info, corpus, "", None)
    names = Names(ROUND, info.source.version, None)
    shared = sorted(p for p in (pack / info.recipients[0].id).iterdir() if p.name[0].isdigit())
    base = round_context(loaded, names, None)
    profile = f"-env:UserInstallation={(work / 'lo-profile').as_uri()}"
    samples, documents = [], []
    for run in range(runs):
        out = work / f"peer-{run}"
        started = time.perf_counter()
        for party in info.recipients[:SAMPLE]:
            folder = out / party.id
            folder.mkdir(parents=True)
            ctx = party_context(base, loaded, names, party, [p.name for p in shared])
            for template, name in ((MISSIV, ctx["files"]["missiv_word"]), (FORM, ctx["files"]["form"])):
                tpl = DocxTemplate(str(template))  # re-read for every letter
                tpl.render(ctx, autoescape=True)
                tpl.save(str(folder / name))
            subprocess.run([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                            str(folder / ctx["files"]["missiv_word"])], check=True, capture_output=True)
            for file in shared:
                shutil.copyfile(file, folder / file.name)
            with zipfile.ZipFile(out / f"{party.id}.zip", "w", zipfile.ZIP_DEFLATED) as z:
                for file in sorted(folder.iterdir()):
                    z.write(file, file.name)
            hashlib.sha256((out / f"{party.id}.zip").read_bytes()).hexdigest()
        samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        for file in (f for f in shared if f.suffix == ".docx"):
            subprocess.run([soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(out / "docs"),
                            str(file)], check=True, capture_output=True)
        documents.append(time.perf_counter() - started)
        shutil.rmtree(out, ignore_errors=True)
    return samples, documents


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    env["CI"] = "1"
    results: dict[str, object] = {"runs": args.runs, "cores": os.cpu_count(), "round": ROUND}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        wall, inner, cpu, pack = ours(work, args.runs, env)
        files = sum(1 for p in pack.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in pack.rglob("*.zip"))
        results.update({"ours_command_s": statistics.median(wall), "ours_in_process_s": statistics.median(inner),
                        "ours_cpu_s": statistics.median(cpu), "files": files, "zip_bytes": size,
                        "load_average_1min": os.getloadavg()[0],
                        "samples": {"ours": wall, "ours_in_process": inner, "ours_cpu": cpu}})
        soffice = shutil.which("soffice")
        if soffice and not args.no_peer:
            samples, documents = peer(work, pack, max(3, args.runs // 2 + 1), soffice)
            per_sample = statistics.median(samples)
            results.update({
                "peer_sample_parties": SAMPLE,
                "peer_sample_s": per_sample,
                "peer_documents_pdf_s": statistics.median(documents),
                "peer_50_extrapolated_s": per_sample * 50 / SAMPLE + statistics.median(documents),
            })
            results["samples"].update({"peer_sample": samples, "peer_documents": documents})  # type: ignore[union-attr]
            results["ratio_peer_over_ours"] = results["peer_50_extrapolated_s"] / results["ours_command_s"]
    print(f"avtal remiss pack benchmark: median of {args.runs} runs, {os.cpu_count()} cores, round {ROUND} "
          f"(load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"  {'ours: 50 packages, whole command (goal <= 5 s)':<60} {results['ours_command_s']:7.2f} s")
    print(f"  {'ours: the same, in process (as the command reports it)':<60} {results['ours_in_process_s']:7.2f} s")
    print(f"  {'ours: CPU time used (user + system, all threads and children)':<60} {results['ours_cpu_s']:7.2f} s")
    print(f"  {'  files written / bytes in zips':<60} {files:7d} / {size / 1e6:.0f} MB")
    if "peer_sample_s" in results:
        print(f"  {f'peer: {SAMPLE} parties, docxtpl per letter + LibreOffice PDF':<60} "
              f"{results['peer_sample_s']:7.2f} s")
        print(f"  {'peer: 5 documents to PDF by LibreOffice, once':<60} {results['peer_documents_pdf_s']:7.2f} s")
        print(f"  {'peer: 50 parties, extrapolated linearly from the sample':<60} "
              f"{results['peer_50_extrapolated_s']:7.2f} s")
        print(f"  peer / ours = {results['ratio_peer_over_ours']:.1f}x")
    out = ROOT / "bench" / "results" / "pack.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
