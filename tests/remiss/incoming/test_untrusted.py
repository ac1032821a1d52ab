"""Files from parties are untrusted: one crafted file per attack, each refused by name and reason.

Every refusal must name the file and say what was wrong, and nothing may be
written anywhere: the crafted file sits three folders deep in a tree that is
also the working directory, so an extraction (even one escaping with '../..')
would show up in the tree's snapshot.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pytest
import typst
from pypdf import PdfReader, PdfWriter

from avtal.remiss.incoming.untrusted import (
    LIMITS,
    Limits,
    OfficePackage,
    UntrustedFileError,
    open_docx,
    parse_xml,
    read_pdf_text,
    sniff,
)

from ...render.conftest import require_client
from ..crafted import (
    BILLION_LAUGHS,
    CT_DOCM,
    CT_XLSX,
    WINDOWS_EXE,
    XXE_PARAMETER,
    XXE_PASSWD,
    Member,
    docx_members,
    document_xml,
    ole2,
    raw_zip,
)

LETTER = "Kommunstyrelsen i Ale har beslutat att lämna följande remissvar."
SECOND_PAGE = "Med vänlig hälsning, Ale kommun"


@pytest.fixture
def inkommet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where crafted files are dropped; also the working directory, so relative writes are caught."""
    folder = tmp_path / "remiss" / "svar" / "inkommet"
    folder.mkdir(parents=True)
    monkeypatch.chdir(folder)
    return folder


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def refused(path: Path, call: Callable[..., object] = sniff, limits: Limits = LIMITS) -> UntrustedFileError:
    """Run `call` on the file, expecting a refusal that names it and leaves the whole tree untouched."""
    root = path.parents[2]
    before = snapshot(root)
    with pytest.raises(UntrustedFileError) as caught:
        call(path, limits)
    assert snapshot(root) == before, "a refused file must not cause anything to be written"
    error = caught.value
    assert error.path == path
    assert str(error).startswith(f"{path}: {error.reason}; expected ")
    assert error.reason and error.expected
    return error


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def parse_member(name: str) -> Callable[[Path, Limits], object]:
    return lambda path, limits: open_docx(path, limits).xml(name)


# ----------------------------------------------------------------------------- what is accepted


def test_a_word_file_saved_by_python_docx_is_a_docx_with_its_parts_readable(inkommet):
    document = docx.Document()
    document.add_paragraph(LETTER)
    document.save(inkommet / "ale.docx")

    assert sniff(inkommet / "ale.docx") == "docx"
    package = open_docx(inkommet / "ale.docx")
    assert isinstance(package, OfficePackage)
    assert {"[Content_Types].xml", "word/document.xml"} <= set(package.names)
    body = package.xml("word/document.xml")
    assert LETTER in "".join(body.itertext())
    assert package.read("word/no-such-part.xml") is None


def test_a_hand_built_minimal_package_is_accepted_and_read_exactly(inkommet):
    path = write(inkommet, "svar.docx", raw_zip(docx_members(document_xml("Inga synpunkter."))))
    package = open_docx(path)
    assert package.names == ("[Content_Types].xml", "_rels/.rels", "word/document.xml")
    assert package.read("word/document.xml") == document_xml("Inga synpunkter.")


def test_a_pdf_letter_gives_the_text_of_its_pages(inkommet):
    (inkommet.parent / "brev.typ").write_text(f'#set text(lang: "sv")\n{LETTER}\n#pagebreak()\n{SECOND_PAGE}\n')
    path = write(inkommet, "brev.pdf", typst.compile(str(inkommet.parent / "brev.typ")))
    assert sniff(path) == "pdf"
    assert read_pdf_text(path) == f"{LETTER}\n\n{SECOND_PAGE}"


def test_a_pdf_restricted_only_by_an_owner_password_is_still_read(inkommet):
    writer = PdfWriter(clone_from=_letter_pdf(inkommet))
    writer.encrypt(user_password="", owner_password="ägare", algorithm="RC4-128")
    path = inkommet / "begransad.pdf"
    writer.write(path)
    assert LETTER in read_pdf_text(path)


def test_a_hand_written_yaml_answer_is_yaml(inkommet):
    path = write(inkommet, "ale.yaml", "party: ale\ncomments:\n  - text: Inga synpunkter.\n".encode())
    assert sniff(path) == "yaml"


# ----------------------------------------------------------------------------- XML attacks


def test_an_external_entity_reading_etc_passwd_is_refused_before_anything_is_resolved(inkommet):
    path = write(inkommet, "xxe.docx", raw_zip(docx_members(XXE_PASSWD)))
    error = refused(path, open_docx)
    assert error.reason.startswith("word/document.xml has a DOCTYPE")
    assert "root:" not in str(error)


def test_a_parameter_entity_fetching_a_remote_dtd_is_refused(inkommet):
    path = write(inkommet, "pe.docx", raw_zip(docx_members(XXE_PARAMETER)))
    assert refused(path, open_docx).reason.startswith("word/document.xml has a DOCTYPE")


def test_billion_laughs_is_refused_without_expanding(inkommet):
    path = write(inkommet, "lol.docx", raw_zip(docx_members(BILLION_LAUGHS)))
    assert refused(path, open_docx).reason.startswith("word/document.xml has a DOCTYPE")


@pytest.mark.parametrize("attack", [XXE_PASSWD, XXE_PARAMETER, BILLION_LAUGHS], ids=["xxe", "parameter", "laughs"])
def test_parse_xml_refuses_every_entity_attack_naming_where_it_came_from(tmp_path, attack):
    where = tmp_path / "svar.docx"
    with pytest.raises(UntrustedFileError) as caught:
        parse_xml(attack, where, part="word/comments.xml")
    assert str(caught.value).startswith(f"{where}: word/comments.xml has a DOCTYPE")
    assert not list(tmp_path.iterdir())


def test_an_entity_attack_in_the_content_types_is_refused_by_sniffing(inkommet):
    members = docx_members()
    members[0] = Member.of("[Content_Types].xml", XXE_PASSWD)
    path = write(inkommet, "ct.docx", raw_zip(members))
    assert "[Content_Types].xml" in refused(path).reason


def test_a_doctype_hidden_behind_a_long_comment_is_still_refused_when_the_part_is_parsed(inkommet):
    hidden = document_xml("&xxe;", prolog="<!--" + "x" * 100_000 + '-->\n<!DOCTYPE w:document '
                          '[<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')
    path = write(inkommet, "dold.docx", raw_zip(docx_members(hidden)))
    error = refused(path, parse_member("word/document.xml"))
    assert error.reason.startswith("word/document.xml has a DOCTYPE")


def test_utf16_xml_with_a_doctype_is_refused(tmp_path):
    data = XXE_PASSWD.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with pytest.raises(UntrustedFileError, match="DOCTYPE"):
        parse_xml(data, tmp_path / "svar.docx")


def test_xml_nested_deeper_than_the_limit_is_refused(tmp_path):
    deep = b"<a>" * 40 + b"</a>" * 40
    assert parse_xml(deep, "ok.docx").tag == "a"
    with pytest.raises(UntrustedFileError, match="deeper than 20 levels"):
        parse_xml(deep, tmp_path / "deep.docx", limits=Limits(max_xml_depth=20))
    with pytest.raises(UntrustedFileError, match="not well-formed"):
        parse_xml(b"<a>" * 300 + b"</a>" * 300, tmp_path / "deeper.docx")


# ----------------------------------------------------------------------------- zip bombs


def test_a_member_that_expands_a_thousand_fold_is_refused_as_a_zip_bomb(inkommet):
    members = docx_members() + [Member.of("word/media/zeros.bin", bytes(50_000_000))]
    path = write(inkommet, "bomb.docx", raw_zip(members))
    error = refused(path)
    assert "'word/media/zeros.bin'" in error.reason and "zip bomb" in error.reason
    assert f"over the {LIMITS.max_ratio:.0f}x limit" in error.reason


def test_members_each_harmless_but_too_big_together_are_refused(inkommet):
    limits = Limits(max_total_uncompressed=1_000_000)
    noise = [Member.of(f"word/media/image{i}.png", (bytes(range(256)) * 1600)[i:], deflate=False)
             for i in range(3)]  # 3 x 409 kB, stored: ratio 1
    path = write(inkommet, "stort.docx", raw_zip(docx_members() + noise))
    error = refused(path, limits=limits)
    assert "in total" in error.reason and "zip bomb" in error.reason


def test_a_member_whose_header_understates_its_size_is_caught_while_streaming(inkommet):
    members = docx_members()
    members.append(Member.of("word/media/liten.bin", bytes(5_000_000), declared_size=1000))
    path = write(inkommet, "ljuger.docx", raw_zip(members))
    assert sniff(path) == "docx"  # the directory looks harmless: 1000 bytes from ~5 kB
    error = refused(path, open_docx)
    assert "'word/media/liten.bin'" in error.reason and "header claims" in error.reason


def test_members_sharing_the_same_compressed_bytes_are_refused(inkommet):
    members = docx_members() + [Member.of("word/a.xml", bytes(100_000)),
                                Member.of("word/b.xml", bytes(100_000), shares_with=3)]
    path = write(inkommet, "overlap.docx", raw_zip(members))
    assert "overlaps" in refused(path).reason


def test_more_members_than_the_limit_are_refused(inkommet):
    members = docx_members() + [Member.of(f"word/media/{i}.xml", b"<a/>") for i in range(LIMITS.max_members)]
    path = write(inkommet, "manga.docx", raw_zip(members))
    assert f"{LIMITS.max_members + 3} members, over the limit of {LIMITS.max_members}" in refused(path).reason


# ----------------------------------------------------------------------------- archive names


@pytest.mark.parametrize("name", ["../../evil", "/abs", "C:\\x", "C:/x", "word/../../x", "word\\..\\x",
                                  "word/doc\x00ument.xml", "word//x.xml", "./word/x.xml"])
def test_a_member_name_that_could_escape_the_package_is_refused(inkommet, name):
    path = write(inkommet, "namn.docx", raw_zip(docx_members() + [Member.of(name, b"pwned")]))
    error = refused(path)
    assert repr(name) in error.reason
    assert not list(inkommet.parents[2].rglob("*evil*")) and not list(inkommet.parents[2].rglob("x"))


def test_a_member_stored_twice_under_the_same_name_is_refused(inkommet):
    members = docx_members() + [Member.of("Word/Document.xml", document_xml("Annan text"))]
    path = write(inkommet, "dubbel.docx", raw_zip(members))
    assert "more than once" in refused(path).reason


def test_a_symbolic_link_member_is_refused(inkommet):
    link = Member.of("word/media/link", b"/etc/passwd", deflate=False, external_attr=0o120777 << 16)
    path = write(inkommet, "lank.docx", raw_zip(docx_members() + [link]))
    assert "symbolic link" in refused(path).reason


def test_an_encrypted_member_is_refused(inkommet):
    members = docx_members()
    members[2].flags |= 0x1
    path = write(inkommet, "krypterad.docx", raw_zip(members))
    assert "encrypted" in refused(path).reason


def test_a_member_whose_local_header_names_another_file_is_refused(inkommet):
    data = raw_zip(docx_members())
    local = data.index(b"word/document.xml")  # the local header's copy comes first
    data = data[:local] + b"word/evilness.xml" + data[local + len("word/document.xml"):]
    path = write(inkommet, "smuggel.docx", data)
    assert "local header" in refused(path, open_docx).reason


# ----------------------------------------------------------------------------- macros and disguises


def test_a_docm_is_refused_as_macro_enabled(inkommet):
    path = write(inkommet, "svar.docm", raw_zip(docx_members(main=CT_DOCM)))
    assert refused(path).reason == "macro-enabled Word files are refused: save as .docx without macros"


def test_a_macro_enabled_document_renamed_docx_is_refused_as_macro_enabled(inkommet):
    path = write(inkommet, "svar.docx", raw_zip(docx_members(main=CT_DOCM)))
    assert refused(path, open_docx).reason.startswith("macro-enabled Word files are refused")


def test_a_docx_carrying_a_vba_project_is_refused_as_macro_enabled(inkommet):
    vba = Member.of("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    path = write(inkommet, "makro.docx", raw_zip(docx_members() + [vba]))
    assert refused(path).reason.startswith("macro-enabled Word files are refused")


def test_a_pdf_renamed_docx_is_refused_naming_both(inkommet):
    (inkommet.parent / "brev.typ").write_text(LETTER)
    path = write(inkommet, "brev.docx", typst.compile(str(inkommet.parent / "brev.typ")))
    error = refused(path)
    assert "PDF" in error.reason and ".docx" in error.reason
    assert "PDF" in refused(path, open_docx).reason


def test_an_executable_renamed_docx_is_refused(inkommet):
    error = refused(write(inkommet, "svar.docx", WINDOWS_EXE))
    assert "Windows executable" in error.reason and ".docx" in error.reason


def test_an_excel_workbook_renamed_docx_is_refused(inkommet):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Inga synpunkter"
    workbook.save(inkommet / "svar.xlsx")
    path = (inkommet / "svar.xlsx").rename(inkommet / "svar.docx")
    error = refused(path)
    assert "Excel workbook" in error.reason and ".docx" in error.reason
    assert CT_XLSX.split(".")[-2] == "sheet"  # the workbook really is SpreadsheetML


def test_an_old_word_doc_is_refused_with_the_fix(inkommet):
    error = refused(write(inkommet, "svar.docx", ole2("WordDocument", "1Table")))
    assert "old Word 97–2003 .doc file (OLE2" in error.reason and "save it as .docx" in error.expected


def test_a_password_protected_word_file_is_refused_as_such(inkommet):
    error = refused(write(inkommet, "svar.docx", ole2("EncryptionInfo", "EncryptedPackage")))
    assert "password-protected" in error.reason


def test_a_real_docx_with_the_wrong_extension_is_refused_naming_both(inkommet):
    path = write(inkommet, "svar.pdf", raw_zip(docx_members()))
    error = refused(path)
    assert "Word document" in error.reason and ".pdf" in error.reason


def test_plain_text_named_docx_is_refused(inkommet):
    assert "plain text" in refused(write(inkommet, "svar.docx", "Inga synpunkter.".encode())).reason


def test_yaml_with_aliases_is_refused_before_it_can_expand(inkommet):
    laughs = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    error = refused(write(inkommet, "svar.yaml", laughs.encode()))
    assert "aliases" in error.reason and "line 2" in error.reason


def test_an_opendocument_text_renamed_docx_is_refused_with_the_fix(inkommet):
    odt = [Member.of("mimetype", b"application/vnd.oasis.opendocument.text", deflate=False),
           Member.of("content.xml", b"<office:document-content/>")]
    error = refused(write(inkommet, "svar.docx", raw_zip(odt)))
    assert "OpenDocument text" in error.reason and "save it as .docx" in error.expected


def test_a_zip_that_is_not_an_office_document_is_refused(inkommet):
    path = write(inkommet, "svar.docx", raw_zip([Member.of("readme.txt", b"hej")]))
    assert "not an Office document" in refused(path).reason


# ----------------------------------------------------------------------------- size and emptiness


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(inkommet):
    path = write(inkommet, "svar.docx", raw_zip(docx_members()))
    small = Limits(max_file_bytes=path.stat().st_size - 1)
    error = refused(path, limits=small)
    assert f"over the {path.stat().st_size - 1} bytes limit" in error.reason
    assert sniff(path, Limits(max_file_bytes=path.stat().st_size)) == "docx"


def test_a_symbolic_link_is_refused_rather_than_followed(inkommet):
    (inkommet / "svar.yaml").symlink_to("/etc/passwd")
    assert refused(inkommet / "svar.yaml").reason == "the file is a symbolic link"


def test_an_empty_file_is_refused(inkommet):
    assert refused(write(inkommet, "svar.docx", b"")).reason == "file is empty"


# ----------------------------------------------------------------------------- PDF


def _letter_pdf(folder: Path) -> Path:
    (folder.parent / "brev.typ").write_text(LETTER)
    return write(folder, "brev.pdf", typst.compile(str(folder.parent / "brev.typ")))


def test_a_password_protected_pdf_is_refused(inkommet):
    writer = PdfWriter(clone_from=_letter_pdf(inkommet))
    writer.encrypt(user_password="hemligt", owner_password="hemligt", algorithm="RC4-128")
    path = inkommet / "krypterad.pdf"
    writer.write(path)
    assert "encrypted" in refused(path, read_pdf_text).reason


def test_a_scanned_pdf_without_a_text_layer_is_refused_with_what_to_do(inkommet):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    path = inkommet / "skannad.pdf"
    writer.write(path)
    error = refused(path, read_pdf_text)
    assert error.reason.startswith("no text layer: the PDF is a scan")
    assert "--party" in error.reason


def test_a_pdf_with_more_pages_than_the_limit_is_refused(inkommet):
    path = _letter_pdf(inkommet)
    assert len(PdfReader(path).pages) == 1
    assert "over the limit of 0" in refused(path, read_pdf_text, Limits(max_pdf_pages=0)).reason


def test_a_damaged_pdf_is_refused_without_a_traceback_or_warning(inkommet):
    data = _letter_pdf(inkommet).read_bytes()
    path = write(inkommet, "trasig.pdf", data[: len(data) // 3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        refused(path, read_pdf_text)


# ----------------------------------------------------------------------------- real clients


@pytest.mark.client
def test_a_docx_resaved_by_libreoffice_is_accepted_and_its_doc_export_refused(inkommet, tmp_path):
    soffice = require_client("soffice")
    document = docx.Document()
    document.add_paragraph(LETTER)
    source = tmp_path / "source" / "ale.docx"
    source.parent.mkdir()
    document.save(source)
    profile = tmp_path / "profile"
    for target in ("doc", "docx:MS Word 2007 XML"):
        subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", target,
                        "--outdir", str(tmp_path / "lo"), str(source)], check=True, capture_output=True, timeout=120)
    resaved = Path(shutil.copy(tmp_path / "lo" / "ale.docx", inkommet / "ale.docx"))
    assert LETTER in "".join(open_docx(resaved).xml("word/document.xml").itertext())
    old = Path(shutil.copy(tmp_path / "lo" / "ale.doc", inkommet / "ale.doc"))
    assert "old Word 97–2003 .doc" in refused(old).reason
