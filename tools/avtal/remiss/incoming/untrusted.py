"""Reading files that parties send us: everything here assumes the file is hostile.

Remissvar arrive by e-mail from 50 parties and are opened on the drafting group's
machines, so a file is checked by what it *is* (magic bytes, package content
types), never by its name, and read only through bounded, in-memory code paths.
Nothing is ever extracted to disk, no entity or external reference is resolved,
and every refusal is an `UntrustedFileError` that names the file, what was wrong
and what we accept.

Why each limit in `Limits` exists:

- ``max_file_bytes`` (25 MB): the common e-mail attachment cap; a bigger "answer"
  is not an answer, and every later step may hold the whole file in memory.
- ``max_members`` (2000): a real .docx has 10–100 parts; thousands of tiny
  members make the central directory itself the attack (CPU and memory).
- ``max_member_bytes`` (50 MB): one part, decompressed. A very long contract's
  document.xml is a few MB; lxml needs ~10x the XML size in memory.
- ``max_total_uncompressed`` (200 MB): the sum over all parts, so that many
  members each under the per-member cap cannot add up to a bomb (also catches
  overlapping-member bombs whose individual ratios look harmless).
- ``max_ratio`` (100x) above ``ratio_floor_bytes`` (1 MB): Word XML compresses
  5–20x; 1000x is a run of zeros. Small members are exempt because a tiny part
  at a high ratio cannot hurt.
- ``max_xml_depth`` (256): deep nesting blows parser and recursive-walker
  stacks; libxml2 itself stops at 256 without ``huge_tree``, lower values are
  enforced here.
- ``max_pdf_pages`` (300) and ``max_pdf_text_chars`` (5 M): a letter is a few
  pages; text extraction cost grows with pages and content streams.
- ``max_yaml_aliases`` (0): a hand-written answer never needs anchors/aliases,
  and aliases are how a small YAML file expands into a huge structure.

XML is parsed with entities unresolved, no network, no DTD loading, and any
document with a DOCTYPE is refused (OOXML never has one): this covers external
entities (file://, http://), internal entity expansion (billion laughs) and
parameter entities in one rule.

Archives are checked from the central directory before any byte is inflated
(member names: no absolute paths, drive letters, '..', backslashes, NUL or
duplicates; no symlinks, encrypted members, exotic compression or members that
share bytes), then `open_docx` inflates every part once itself, in 64 KB steps,
so a header that understates a member's size is caught by counting real output.
Macro-enabled content (.docm content types, vbaProject.bin) is refused outright.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from .bounds import EXPECTED, EXPECTED_DOCX, LIMITS, Kind, Limits, UntrustedFileError, read_bounded
from .safe_zip import EXPECTED_XML, SafeZip, has_doctype, parse_xml

__all__ = [
    "EXPECTED",
    "LIMITS",
    "Limits",
    "OfficePackage",
    "UntrustedFileError",
    "open_docx",
    "parse_xml",
    "read_pdf_text",
    "read_untrusted",
    "sniff",
]


_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "docx": (".docx",),
    "pdf": (".pdf",),
    "yaml": (".yaml", ".yml"),
}

_MACRO_REASON = "macro-enabled Word files are refused: save as .docx without macros"


def read_untrusted(path: Path, limits: Limits = LIMITS) -> tuple[Kind, bytes]:
    """What a file is (see `sniff`) and its bytes, read once through the bounds."""
    path = Path(path)
    data = read_bounded(path, limits)
    kind, _ = _identify(path, data, limits)
    return kind, data


# --------------------------------------------------------------------------- sniffing


def sniff(path: Path, limits: Limits = LIMITS) -> Kind:
    """What a file really is, by content (magic bytes + package content types), not by its name."""
    path = Path(path)
    kind, _ = _identify(path, read_bounded(path, limits), limits)
    return kind


def _identify(path: Path, data: bytes, limits: Limits) -> tuple[Kind, SafeZip | None]:
    """Classify `data`, refuse anything we do not accept, then check the name agrees."""
    zip_: SafeZip | None = None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        zip_ = SafeZip.open(path, data, limits)
        kind: Kind = _classify_package(path, zip_)
    elif data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\x00").startswith(b"%PDF-"):
        kind = "pdf"
    else:
        foreign = _foreign(data)
        if foreign is not None:
            what, expected = foreign
            raise UntrustedFileError(path, _disguise(path, what), expected)
        kind = _text_kind(path, data, limits)
    _check_extension(path, kind)
    return kind, zip_


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_SAVE_AS_DOCX = "a Word document: open the file in Word or LibreOffice and save it as .docx"
_ASK_FOR_WORD = "the answer as a Word document (.docx) or a PDF with a text layer: ask the party for it"
_NEVER = f"{EXPECTED}; programs and archives are never opened"

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"MZ", "a Windows executable", _NEVER),
    (b"\x7fELF", "an ELF executable", _NEVER),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable", _NEVER),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable", _NEVER),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable", _NEVER),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable", _NEVER),
    (b"\xca\xfe\xba\xbe", "an executable (Mach-O universal binary or Java class)", _NEVER),
    (b"#!", "a script", _NEVER),
    (b"{\\rtf", "an RTF document", _SAVE_AS_DOCX),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", _ASK_FOR_WORD),
    (b"\xff\xd8\xff", "a JPEG image", _ASK_FOR_WORD),
    (b"II*\x00", "a TIFF image", _ASK_FOR_WORD),
    (b"MM\x00*", "a TIFF image", _ASK_FOR_WORD),
    (b"GIF8", "a GIF image", _ASK_FOR_WORD),
    (b"\x1f\x8b", "a gzip archive", _NEVER),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", _NEVER),
    (b"Rar!\x1a\x07", "a RAR archive", _NEVER),
    (b"BZh", "a bzip2 archive", _NEVER),
    (b"\xfd7zXZ\x00", "an xz archive", _NEVER),
)


def _foreign(data: bytes) -> tuple[str, str] | None:
    """(what the content is, what we expect instead) for content we recognise and refuse; None for text."""
    if data.startswith(_OLE2):
        return _ole2_kind(data)
    for magic, what, expected in _MAGIC:
        if data.startswith(magic):
            return what, expected
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "an HTML page", _ASK_FOR_WORD
    if head.startswith(b"<"):
        return "a bare XML file (such as Word 2003 XML or flat OpenDocument)", _SAVE_AS_DOCX
    if b"\x00" in data[:8192]:
        return f"unrecognised binary content (starting with bytes {data[:4].hex(' ')})", EXPECTED
    return None


def _ole2_kind(data: bytes) -> tuple[str, str]:
    """Name the kind of OLE2 compound file by its stream names (UTF-16LE in the directory)."""

    def has(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has("EncryptionInfo") or has("EncryptedPackage"):
        return (
            "a password-protected Office file (an encrypted package in an OLE2 container)",
            "a Word document without a password: remove the password in Word and save it as .docx",
        )
    if has("WordDocument"):
        return "an old Word 97–2003 .doc file (OLE2 compound file)", _SAVE_AS_DOCX
    if has("Workbook") or has("Book"):
        return "an old Excel .xls workbook (OLE2 compound file)", _ASK_FOR_WORD
    if has("PowerPoint Document"):
        return "an old PowerPoint .ppt presentation (OLE2 compound file)", _ASK_FOR_WORD
    return "an OLE2 compound file (an old Office format)", _SAVE_AS_DOCX


_ACCEPTED_EXTENSIONS = frozenset(e for exts in _EXTENSIONS.values() for e in exts)


def _disguise(path: Path, what: str) -> str:
    """'the content is X', saying so plainly when the name claims something we accept."""
    ext = path.suffix.lower()
    if ext in _ACCEPTED_EXTENSIONS:
        return f"the name ends in {ext} but the content is {what}"
    return f"the content is {what}"


def _text_kind(path: Path, data: bytes, limits: Limits) -> Kind:
    """Plain text is accepted only as a YAML answer with a .yaml/.yml name."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UntrustedFileError(
            path, _disguise(path, "text that is not UTF-8, or unrecognised binary content"), EXPECTED
        ) from None
    if path.suffix.lower() not in _EXTENSIONS["yaml"]:
        raise UntrustedFileError(path, _disguise(path, "plain text"), EXPECTED)
    _check_yaml_aliases(path, text, limits)
    return "yaml"


def _check_yaml_aliases(path: Path, text: str, limits: Limits) -> None:
    """Refuse alias-heavy YAML before anything builds it (the YAML form of billion laughs)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > limits.max_yaml_aliases:
                    raise UntrustedFileError(
                        path,
                        f"YAML uses aliases (*name, line {event.start_mark.line + 1}); "
                        f"at most {limits.max_yaml_aliases} allowed",
                        "a YAML answer written out in full, without anchors (&) and aliases (*)",
                    )
    except yaml.YAMLError:
        pass  # a syntax error is the YAML loader's to report, with its line and column


def _check_extension(path: Path, kind: Kind) -> None:
    ext = path.suffix.lower()
    if ext in _EXTENSIONS[kind]:
        return
    names = {"docx": "a Word document (docx)", "pdf": "a PDF", "yaml": "YAML text"}
    got = f"the name ends in {ext}" if ext else "the name has no extension"
    raise UntrustedFileError(
        path,
        f"{got} but the content is {names[kind]}",
        f"a name ending in {' or '.join(_EXTENSIONS[kind])} for {names[kind]}: check with the party "
        "what the file is, then rename it",
    )


# --------------------------------------------------------------------------- zip packages

_CT_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_CT_FOREIGN: tuple[tuple[str, str, str], ...] = (
    ("wordprocessingml.template.main+xml", "a Word template (.dotx)", _SAVE_AS_DOCX),
    ("spreadsheetml", "an Excel workbook (xlsx)", _ASK_FOR_WORD),
    ("ms-excel", "an Excel workbook", _ASK_FOR_WORD),
    ("presentationml", "a PowerPoint presentation (pptx)", _ASK_FOR_WORD),
    ("ms-powerpoint", "a PowerPoint presentation", _ASK_FOR_WORD),
    ("ms-visio", "a Visio drawing", _ASK_FOR_WORD),
)


def _classify_package(path: Path, zip_: SafeZip) -> Kind:
    """A zip is accepted only as a macro-free WordprocessingML document."""
    lower = {n.lower(): n for n in zip_.names}
    if any(PurePosixPath(n).name in ("vbaproject.bin", "vbadata.xml") for n in lower):
        raise UntrustedFileError(path, _MACRO_REASON, EXPECTED_DOCX)
    if "mimetype" in lower:
        mime = (zip_.read("mimetype") or b"").decode("ascii", "replace").strip()
        what = {
            "application/vnd.oasis.opendocument.text": "an OpenDocument text (.odt)",
        }.get(mime, f"an OpenDocument file ({mime or 'unknown type'})")
        raise UntrustedFileError(path, _disguise(path, what), _SAVE_AS_DOCX)
    ct_name = lower.get("[content_types].xml")
    if ct_name is None:
        raise UntrustedFileError(
            path, _disguise(path, "a zip archive that is not an Office document"), EXPECTED_DOCX
        )
    types = zip_.xml(ct_name)
    assert types is not None
    content_types = [
        (el.get("ContentType") or "") for el in types.iter() if isinstance(el.tag, str)
    ]
    lowered = [ct.lower() for ct in content_types]
    if any("macroenabled" in ct or "vbaproject" in ct for ct in lowered):
        raise UntrustedFileError(path, _MACRO_REASON, EXPECTED_DOCX)
    if _CT_DOCX in lowered:
        return "docx"
    for marker, what, expected in _CT_FOREIGN:
        if any(marker in ct for ct in lowered):
            raise UntrustedFileError(path, _disguise(path, what), expected)
    raise UntrustedFileError(
        path,
        _disguise(path, "an Office package without a Word main document"),
        EXPECTED_DOCX,
    )
@dataclass
class OfficePackage:
    """A .docx held in memory: validated member names, bounded reads, safe XML. Never extracted."""

    path: Path
    names: tuple[str, ...]
    _zip: SafeZip = field(repr=False)

    def read(self, name: str) -> bytes | None:
        """The member's bytes (None if absent); its real inflated size is checked as it streams."""
        return self._zip.read(name)

    def xml(self, name: str) -> etree._Element | None:
        """The member parsed by `parse_xml` (None if absent)."""
        return self._zip.xml(name)


def open_docx(path: Path, limits: Limits = LIMITS) -> OfficePackage:
    """Sniff and open a party's Word file; raises UntrustedFileError for anything but a safe .docx.

    Every part is inflated once here (bounded, in memory), so an archive whose
    headers lie fails now rather than halfway through an import, and no XML part
    carries a DOCTYPE, even for a reader (python-docx) that bypasses `xml()`.
    """
    path = Path(path)
    kind, zip_ = _identify(path, read_bounded(path, limits), limits)
    if kind != "docx" or zip_ is None:
        names = {"pdf": "a PDF", "yaml": "YAML text"}
        raise UntrustedFileError(path, f"the content is {names.get(kind, kind)}, not a Word document", EXPECTED_DOCX)
    for name in zip_.names:  # inflate every part once: real sizes, CRCs and the total are checked now
        data = zip_.read(name)
        if name.lower().endswith((".xml", ".rels")) and data is not None and has_doctype(data):
            raise UntrustedFileError(
                path,
                f"{name} has a DOCTYPE (entity declarations: XXE or entity-expansion attack)",
                EXPECTED_XML,
            )
    return OfficePackage(path, zip_.names, zip_)


# --------------------------------------------------------------------------- PDF


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf warns (warnings + logging) about every sloppy PDF; a party's sloppiness is not our error."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


_EXPECTED_PDF = "a PDF with a text layer and no password, or the Word version"


def read_pdf_text(path: Path, limits: Limits = LIMITS) -> str:
    """The text layer of a party's PDF letter, pages separated by blank lines."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    path = Path(path)
    data = read_bounded(path, limits)
    kind, _ = _identify(path, data, limits)
    if kind != "pdf":
        raise UntrustedFileError(path, f"the content is {kind}, not a PDF", _EXPECTED_PDF)
    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not _opens_without_password(reader):
                raise UntrustedFileError(
                    path,
                    "the PDF is encrypted and needs a password to open",
                    f"{_EXPECTED_PDF}: ask for an unprotected copy",
                )
            count = len(reader.pages)
            if count > limits.max_pdf_pages:
                raise UntrustedFileError(
                    path,
                    f"the PDF has {count} pages, over the limit of {limits.max_pdf_pages}",
                    _EXPECTED_PDF,
                )
            texts: list[str] = []
            total = 0
            for page in reader.pages:
                text = (page.extract_text() or "").strip()
                total += len(text)
                if total > limits.max_pdf_text_chars:
                    raise UntrustedFileError(
                        path,
                        f"the PDF's text is over {limits.max_pdf_text_chars} characters",
                        _EXPECTED_PDF,
                    )
                texts.append(text)
        except UntrustedFileError:
            raise
        except (PyPdfError, DependencyError, ValueError, KeyError, TypeError, AttributeError,
                IndexError, RecursionError, zlib.error, struct.error) as exc:
            raise UntrustedFileError(
                path, f"the PDF cannot be read ({type(exc).__name__}: {exc})", _EXPECTED_PDF
            ) from None
    if not any(texts):
        raise UntrustedFileError(
            path,
            "no text layer: the PDF is a scan; ask for the Word version or use --party with a manual YAML",
            _EXPECTED_PDF,
        )
    return "\n\n".join(t for t in texts if t)


def _opens_without_password(reader: object) -> bool:
    """Owner-password-only PDFs (printing/editing restricted) open with the empty user password."""
    from pypdf import PasswordType
    from pypdf.errors import DependencyError, PyPdfError

    try:
        return reader.decrypt("") != PasswordType.NOT_DECRYPTED  # type: ignore[attr-defined]
    except (PyPdfError, DependencyError, NotImplementedError, ValueError):
        return False
