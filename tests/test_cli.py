"""The `avtal` command: exit codes, what it prints, and never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from avtal.cli import main
from avtal.model.jsonschema import render
from avtal.model.jsonschema import ALL_SCHEMAS as SCHEMAS

AVTAL = Path(sys.executable).parent / "avtal"
MUN = "documents/munhalsa.yaml"


@pytest.fixture
def in_tree(tree, monkeypatch):
    """The fixture tree, with the working directory at its root (as a drafter runs the tool)."""
    monkeypatch.chdir(tree.root)
    return tree


def clause_count(tree) -> int:
    return sum(len(re.findall(r"^\s+- id: ", tree.text(f"documents/{d}.yaml"), re.M)) for d in ("huvudavtal", "munhalsa"))


def test_check_succeeds_on_valid_sources(in_tree, capsys):
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith(f"ok: 2 documents, {clause_count(in_tree)} clauses, 2 terms checked in ")


def test_check_fails_and_reports_the_problem_where_it_is(in_tree, capsys):
    in_tree.edit(MUN, "{ref:mun.inledning}", "{ref:mun.inledningen}")
    line, column = in_tree.position(MUN, "{ref:mun.inledningen}")
    assert main(["check"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[0].startswith(
        f"sources/{MUN}:{line}:{column}: error [mun.ansvar.region]: dangling cross-reference {{ref:mun.inledningen}}")
    assert err.splitlines()[-1] == "1 error(s), 0 warning(s)"


def test_check_reports_all_errors_of_all_files(in_tree, capsys):
    in_tree.edit("documents/huvudavtal.yaml", "[Bedömning, Ansvarar, Medverkar]", "[Bedömning, Ansvarar]")
    in_tree.edit(MUN, "{term:sip}", "{term:sipp}")
    in_tree.edit(MUN, "{lag:hsl 16 kap.}", "{lag:hsll 16 kap.}")
    assert main(["check"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1] == "3 error(s), 0 warning(s)"
    row = in_tree.position("documents/huvudavtal.yaml", "[Bedömning, Ansvarar]")
    in_mun = sorted([in_tree.position(MUN, "{term:sipp}"), in_tree.position(MUN, "{lag:hsll")])
    assert [line.split(": error")[0] for line in lines[:-1]] == [
        f"sources/documents/huvudavtal.yaml:{row[0]}:{row[1]}",
        *(f"sources/{MUN}:{line}:{column}" for line, column in in_mun),
    ]
    assert "table row has 2 cells" in lines[0]
    assert any("dangling term use {term:sipp}" in line for line in lines)
    assert any("unknown statute 'hsll'" in line for line in lines)


def test_an_unused_term_is_a_warning_and_an_error_with_strict(in_tree, capsys):
    in_tree.edit("documents/huvudavtal.yaml", "{term:sip}", "SIP")
    in_tree.edit(MUN, "{term:sip}", "SIP")
    assert main(["check"]) == 0
    out, err = capsys.readouterr()
    assert "warning [sip]: term 'sip' is defined but never used" in err
    assert out.startswith("ok:")
    assert main(["check", "--strict"]) == 1
    out, err = capsys.readouterr()
    assert "error [sip]: term 'sip' is defined but never used" in err
    assert err.splitlines()[-1] == "1 error(s), 0 warning(s)"
    assert out == ""


def test_sources_can_be_given_as_an_option(tree, capsys):
    assert main(["--sources", str(tree.sources), "check"]) == 0
    assert capsys.readouterr().out.startswith("ok: 2 documents")


def test_a_value_yaml_cannot_build_is_reported_not_raised(in_tree, capsys):
    in_tree.edit(MUN, "valid_from: 2027-01-01", "valid_from: 2027-02-30")
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"sources/{MUN}:{':'.join(map(str, in_tree.position(MUN, '2027-02-30')))}: error" in err


def test_schema_writes_the_json_schemas(in_tree, capsys):
    assert main(["schema"]) == 0
    for name in SCHEMAS:
        assert (in_tree.sources / "schema" / f"{name}.schema.json").read_text(encoding="utf-8") == render(name)
    assert capsys.readouterr().out.count("wrote ") == len(SCHEMAS)


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["chek"])
    assert exit.value.code == 2
    assert "invalid choice: 'chek'" in capsys.readouterr().err


@pytest.mark.parametrize("broken, code", [(False, 0), (True, 1)])
def test_the_installed_command_exits_with_the_right_code_and_no_traceback(tree, broken, code):
    assert AVTAL.is_file(), f"{AVTAL} is not installed: run `make`"
    if broken:
        tree.edit(MUN, "    title: Inledning\n", "    titel: Inledning\n")
        tree.edit("terms.yaml", "    term: vård i hemmet\n", "    term: [vård i hemmet\n")
    result = subprocess.run([str(AVTAL), "check"], cwd=tree.root, capture_output=True, text=True,
                            encoding="utf-8", timeout=60)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    if broken:
        assert "did you mean 'title'" in result.stderr
        assert "sources/terms.yaml:" in result.stderr and "YAML syntax error" in result.stderr
    else:
        assert result.stdout.startswith("ok: 2 documents")


@pytest.mark.parametrize("argv, code, stream, says", [
    (["--help"], 0, "stdout", "usage: avtal"), (["--version"], 0, "stdout", "avtal "),
    (["chek"], 2, "stderr", "invalid choice: 'chek'")])
def test_the_installed_command_keeps_the_exit_codes_and_output_of_argparse(argv, code, stream, says):
    """The installed command ends by `gcpause.exit_now`, past the interpreter's teardown: argparse's own exits
    keep their codes, and what was printed is flushed first."""
    result = subprocess.run([str(AVTAL), *argv], capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert result.returncode == code, result.stderr
    assert says in getattr(result, stream) and "Traceback" not in result.stderr


HEAVY = ("pydantic", "yaml", "lxml", "typst", "matplotlib", "docx", "docxtpl", "openpyxl", "pypdf", "jinja2")


@pytest.mark.parametrize("argv", [["--help"], ["remiss", "--help"], ["remiss", "position", "--help"]])
def test_help_starts_without_the_heavy_libraries(argv):
    """`avtal --help` is the start-up every command pays: the libraries load only in the commands that use them."""
    probe = ("import sys\nfrom avtal.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    result = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True)
    assert result.stdout.splitlines()[-1] == "[]"
    assert "usage: avtal" in result.stdout


def test_only_version_reads_the_installed_package_metadata():
    """importlib.metadata (~10 ms) is imported by `avtal --version` alone, not to build every command's parser."""
    probe = "import sys\nfrom avtal.cli import build_parser\nbuild_parser()\nprint('importlib.metadata' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"

# What only some commands need: the remiss model (its pydantic classes), and the stdlib's network stack that
# xml.sax.saxutils drags in (urllib.request → http.client, ssl).
NOT_FOR_DOCUMENTS = ("avtal.model.remiss", "urllib.request", "http.client", "ssl")


def test_build_and_redline_without_a_round_import_neither_the_remiss_model_nor_the_network_stack(in_tree):
    """`avtal build` and `avtal redline` run for real in fresh processes, and pay only for what they use."""
    probe = ("import sys\nfrom avtal.cli import main\ncode = main(sys.argv[1:])\n"
             f"print(sorted(set(sys.modules) & set({NOT_FOR_DOCUMENTS!r})))\nsys.exit(code)")

    def run(*argv: str) -> str:
        result = subprocess.run([sys.executable, "-c", probe, *argv], cwd=in_tree.root, capture_output=True,
                                text=True, encoding="utf-8", timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()[-1]

    assert run("build") == "[]"
    assert (in_tree.root / "dist" / "huvudavtal.docx").is_file()
    assert main(["freeze", "v1", "--date", "2025-01-30"]) == 0
    in_tree.edit(MUN, "    title: Inledning\n", "    title: Inledningen\n")
    assert run("redline", "v1", "working") == "[]"
    assert (in_tree.root / "dist" / "redline" / "v1--working" / "munhalsa.docx").is_file()


def test_a_redline_imports_pydantic_for_neither_load_and_yaml_only_for_the_first(in_tree):
    """Valid sources are built without pydantic (`validate.exact`, ~80 ms of a start-up), from scratch or kept;
    unpickling two kept versions, and a frozen version's record once kept, needs no YAML reader either. The
    first redline loads from scratch; the second finds both loads kept."""
    probe = ("import sys\nfrom avtal.cli import main\ncode = main(sys.argv[1:])\n"
             "print('pydantic' in sys.modules, 'yaml' in sys.modules)\nsys.exit(code)")
    assert main(["freeze", "v1", "--date", "2025-01-30"]) == 0
    in_tree.edit(MUN, "    title: Inledning\n", "    title: Inledningen\n")
    seen = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", probe, "redline", "v1", "working"], cwd=in_tree.root,
                                capture_output=True, text=True, encoding="utf-8", timeout=120)
        assert result.returncode == 0, result.stderr
        seen.append(result.stdout.splitlines()[-1])
    assert seen == ["False True", "False False"]
    assert (in_tree.root / "dist" / "redline" / "v1--working" / "munhalsa.docx").is_file()
