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
import stat
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from lxml import etree

from ...fsutil import FileRefused, read_limited

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

Kind = Literal["docx", "pdf", "yaml"]

MB = 1024 * 1024

#: What we accept, for the "expected ..." part of every refusal.
EXPECTED = "a Word document (.docx), a PDF with a text layer (.pdf) or a YAML answer (.yaml)"
_EXPECTED_DOCX = "a Word document saved as .docx (not .doc, .docm or a template)"

_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "docx": (".docx",),
    "pdf": (".pdf",),
    "yaml": (".yaml", ".yml"),
}

_MACRO_REASON = "macro-enabled Word files are refused: save as .docx without macros"


class UntrustedFileError(Exception):
    """A party's file refused: .path, .reason (what was wrong), .expected (what we accept)."""

    def __init__(self, path: Path, reason: str, expected: str):
        self.path = Path(path)
        self.reason = reason
        self.expected = expected
        super().__init__(f"{path}: {reason}; expected {expected}")


@dataclass(frozen=True)
class Limits:
    """Bounds on what a party's file may cost us to read (see the module docstring for why)."""

    max_file_bytes: int = 25 * MB
    max_members: int = 2000
    max_member_bytes: int = 50 * MB
    max_total_uncompressed: int = 200 * MB
    max_ratio: float = 100.0
    ratio_floor_bytes: int = 1 * MB
    max_xml_depth: int = 256
    max_pdf_pages: int = 300
    max_pdf_text_chars: int = 5_000_000
    max_yaml_aliases: int = 0


LIMITS = Limits()

_LIBXML_MAX_DEPTH = 256  # what libxml2 enforces without XML_PARSE_HUGE


def _size(n: float) -> str:
    if n < 1024:
        return f"{int(n)} bytes"
    if n < MB:
        return f"{n / 1024:.1f} KB"
    return f"{n / MB:.1f} MB"


# --------------------------------------------------------------------------- reading the file


def _read_bounded(path: Path, limits: Limits) -> bytes:
    """The whole file, read once (so later checks see the same bytes), refusing empty or oversized.

    Sized by stat before a byte is read, and read only up to the limit: a named
    pipe, device or folder is refused at once instead of blocking or filling memory.
    """
    path = Path(path)
    try:
        st = path.lstat()
    except OSError as exc:
        raise UntrustedFileError(path, f"the file cannot be read ({exc.strerror or exc})", EXPECTED) from None
    if stat.S_ISLNK(st.st_mode):
        raise UntrustedFileError(path, "the file is a symbolic link", f"the file itself: {EXPECTED}")
    try:
        data = read_limited(path, limits.max_file_bytes)
    except FileRefused as exc:
        raise UntrustedFileError(path, exc.reason, f"{EXPECTED} of at most {_size(limits.max_file_bytes)}") from None
    except OSError as exc:
        raise UntrustedFileError(path, f"the file cannot be read ({exc.strerror or exc})", EXPECTED) from None
    if not data:
        raise UntrustedFileError(path, "file is empty", EXPECTED)
    return data


def read_untrusted(path: Path, limits: Limits = LIMITS) -> tuple[Kind, bytes]:
    """What a file is (see `sniff`) and its bytes, read once through the bounds."""
    path = Path(path)
    data = _read_bounded(path, limits)
    kind, _ = _identify(path, data, limits)
    return kind, data


# --------------------------------------------------------------------------- sniffing


def sniff(path: Path, limits: Limits = LIMITS) -> Kind:
    """What a file really is, by content (magic bytes + package content types), not by its name."""
    path = Path(path)
    kind, _ = _identify(path, _read_bounded(path, limits), limits)
    return kind


def _identify(path: Path, data: bytes, limits: Limits) -> tuple[Kind, _Zip | None]:
    """Classify `data`, refuse anything we do not accept, then check the name agrees."""
    zip_: _Zip | None = None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        zip_ = _Zip.open(path, data, limits)
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


def _classify_package(path: Path, zip_: _Zip) -> Kind:
    """A zip is accepted only as a macro-free WordprocessingML document."""
    lower = {n.lower(): n for n in zip_.names}
    if any(PurePosixPath(n).name in ("vbaproject.bin", "vbadata.xml") for n in lower):
        raise UntrustedFileError(path, _MACRO_REASON, _EXPECTED_DOCX)
    if "mimetype" in lower:
        mime = (zip_.read("mimetype") or b"").decode("ascii", "replace").strip()
        what = {
            "application/vnd.oasis.opendocument.text": "an OpenDocument text (.odt)",
        }.get(mime, f"an OpenDocument file ({mime or 'unknown type'})")
        raise UntrustedFileError(path, _disguise(path, what), _SAVE_AS_DOCX)
    ct_name = lower.get("[content_types].xml")
    if ct_name is None:
        raise UntrustedFileError(
            path, _disguise(path, "a zip archive that is not an Office document"), _EXPECTED_DOCX
        )
    types = zip_.xml(ct_name)
    assert types is not None
    content_types = [
        (el.get("ContentType") or "") for el in types.iter() if isinstance(el.tag, str)
    ]
    lowered = [ct.lower() for ct in content_types]
    if any("macroenabled" in ct or "vbaproject" in ct for ct in lowered):
        raise UntrustedFileError(path, _MACRO_REASON, _EXPECTED_DOCX)
    if _CT_DOCX in lowered:
        return "docx"
    for marker, what, expected in _CT_FOREIGN:
        if any(marker in ct for ct in lowered):
            raise UntrustedFileError(path, _disguise(path, what), expected)
    raise UntrustedFileError(
        path,
        _disguise(path, "an Office package without a Word main document"),
        _EXPECTED_DOCX,
    )


def _bad_name(name: str) -> str | None:
    """Why a member name is unsafe, or None. OPC part names are relative, '/'-separated, unique."""
    if "\x00" in name:
        return "contains a NUL byte"
    if "\\" in name:
        return "contains a backslash"
    if name.startswith("/"):
        return "is an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "starts with a drive letter"
    parts = name.rstrip("/").split("/")
    if any(p == ".." for p in parts):
        return "contains '..'"
    if any(p in ("", ".") for p in parts):
        return "has an empty or '.' segment"
    if any(ord(c) < 0x20 for c in name):
        return "contains a control character"
    return None


_LOCAL_HEADER = struct.Struct("<4s5H3I2H")  # signature … name length, extra length (30 bytes)


@dataclass
class _Zip:
    """A zip archive held in memory whose directory has passed every structural check."""

    path: Path
    data: bytes
    limits: Limits
    infos: dict[str, zipfile.ZipInfo]
    names: tuple[str, ...]
    _read_total: int = 0
    _read_names: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, path: Path, data: bytes, limits: Limits) -> _Zip:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise UntrustedFileError(path, f"the file is a damaged zip archive ({exc})", _EXPECTED_DOCX) from None
        if len(infos) > limits.max_members:
            raise UntrustedFileError(
                path,
                f"the archive has {len(infos)} members, over the limit of {limits.max_members}",
                _EXPECTED_DOCX,
            )
        seen: dict[str, str] = {}
        total = 0
        for info in infos:
            name = info.orig_filename
            why = _bad_name(name)
            if why:
                raise UntrustedFileError(
                    path, f"archive member name {name!r} {why} (path traversal)", _EXPECTED_DOCX
                )
            key = name.lower()
            if key in seen:
                raise UntrustedFileError(
                    path, f"archive member {name!r} appears more than once", _EXPECTED_DOCX
                )
            seen[key] = name
            if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
                raise UntrustedFileError(
                    path, f"archive member {name!r} is a symbolic link", _EXPECTED_DOCX
                )
            if info.flag_bits & 0x1:
                raise UntrustedFileError(
                    path,
                    f"archive member {name!r} is encrypted; remove the password",
                    _EXPECTED_DOCX,
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UntrustedFileError(
                    path,
                    f"archive member {name!r} uses compression method {info.compress_type}, "
                    "which Word never writes",
                    _EXPECTED_DOCX,
                )
            if info.file_size > limits.max_member_bytes:
                raise UntrustedFileError(
                    path,
                    f"archive member {name!r} expands to {_size(info.file_size)}, "
                    f"over the {_size(limits.max_member_bytes)} limit per member (zip bomb?)",
                    _EXPECTED_DOCX,
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
                raise UntrustedFileError(
                    path,
                    f"archive member {name!r} expands {ratio:.0f}x "
                    f"({_size(info.compress_size)} to {_size(info.file_size)}), over the "
                    f"{limits.max_ratio:.0f}x limit (zip bomb)",
                    _EXPECTED_DOCX,
                )
            total += info.file_size
        if total > limits.max_total_uncompressed:
            raise UntrustedFileError(
                path,
                f"the archive expands to {_size(total)} in total, over the "
                f"{_size(limits.max_total_uncompressed)} limit (zip bomb)",
                _EXPECTED_DOCX,
            )
        _check_no_overlap(path, infos, len(data))
        files = {i.orig_filename: i for i in infos if not i.orig_filename.endswith("/")}
        return cls(path, data, limits, files, tuple(files))

    def read(self, name: str) -> bytes | None:
        """A member's bytes, inflated here in bounded steps so its real size is checked as it streams."""
        info = self.infos.get(name)
        if info is None:
            return None
        raw = self._raw(info)
        cap = self.limits.max_member_bytes
        if name not in self._read_names:  # re-reading a member costs nothing new
            cap = min(cap, max(self.limits.max_total_uncompressed - self._read_total, 0))
        if info.compress_type == zipfile.ZIP_STORED:
            out = raw
            if len(out) != info.file_size:
                self._refuse(info, f"is stored as {_size(len(out))} but its header says {_size(info.file_size)}")
        else:
            out = self._inflate(info, raw, cap)
        if zlib.crc32(out) & 0xFFFFFFFF != info.CRC:
            self._refuse(info, "is corrupt (CRC mismatch)")
        if name not in self._read_names:
            self._read_names.add(name)
            self._read_total += len(out)
        return out

    def xml(self, name: str) -> etree._Element | None:
        data = self.read(name)
        if data is None:
            return None
        return parse_xml(data, self.path, part=name, limits=self.limits)

    def _refuse(self, info: zipfile.ZipInfo, why: str) -> None:
        raise UntrustedFileError(self.path, f"archive member {info.orig_filename!r} {why}", _EXPECTED_DOCX)

    def _raw(self, info: zipfile.ZipInfo) -> bytes:
        """The member's compressed bytes, located through its own local header."""
        start = info.header_offset
        header = self.data[start : start + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size:
            self._refuse(info, "points outside the archive")
        sig, *_rest, name_len, extra_len = _LOCAL_HEADER.unpack(header)
        if sig != b"PK\x03\x04":
            self._refuse(info, "has no local header where the directory says")
        name_start = start + _LOCAL_HEADER.size
        local_name = self.data[name_start : name_start + name_len]
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        if local_name != info.orig_filename.encode(encoding, "replace"):
            self._refuse(info, "has a different name in its local header (smuggled member)")
        begin = name_start + name_len + extra_len
        end = begin + info.compress_size
        if end > len(self.data):
            self._refuse(info, "extends past the end of the archive")
        return self.data[begin:end]

    def _inflate(self, info: zipfile.ZipInfo, raw: bytes, cap: int) -> bytes:
        """Inflate in 64 KB steps; stop the moment output passes the header's size or our cap."""
        d = zlib.decompressobj(-zlib.MAX_WBITS)
        chunks: list[bytes] = []
        produced = 0
        pending = raw
        try:
            while True:
                piece = d.decompress(pending, 65536)
                pending = d.unconsumed_tail
                produced += len(piece)
                if produced > info.file_size:
                    self._refuse(
                        info,
                        f"expands to more than the {_size(info.file_size)} its header claims "
                        "(lying size header, zip bomb)",
                    )
                if produced > cap:
                    self._refuse(info, f"expands past the {_size(cap)} limit (zip bomb)")
                chunks.append(piece)
                if d.eof or (not piece and not pending):
                    break
        except zlib.error as exc:
            self._refuse(info, f"is corrupt ({exc})")
        if not d.eof:
            self._refuse(info, "is truncated")
        if produced != info.file_size:
            self._refuse(
                info, f"expands to {_size(produced)} but its header says {_size(info.file_size)}"
            )
        return b"".join(chunks)


def _check_no_overlap(path: Path, infos: list[zipfile.ZipInfo], size: int) -> None:
    """Members must not share compressed bytes (the overlapping-file zip bomb)."""
    spans = sorted(infos, key=lambda i: i.header_offset)
    starts = [i.header_offset for i in spans[1:]] + [size]
    for info, next_start in zip(spans, starts):
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        name_len = len(info.orig_filename.encode(encoding, "replace"))
        end = info.header_offset + _LOCAL_HEADER.size + name_len + info.compress_size
        if end > next_start:
            raise UntrustedFileError(
                path,
                f"archive member {info.orig_filename!r} overlaps the next member (zip bomb)",
                _EXPECTED_DOCX,
            )


@dataclass
class OfficePackage:
    """A .docx held in memory: validated member names, bounded reads, safe XML. Never extracted."""

    path: Path
    names: tuple[str, ...]
    _zip: _Zip = field(repr=False)

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
    kind, zip_ = _identify(path, _read_bounded(path, limits), limits)
    if kind != "docx" or zip_ is None:
        names = {"pdf": "a PDF", "yaml": "YAML text"}
        raise UntrustedFileError(path, f"the content is {names.get(kind, kind)}, not a Word document", _EXPECTED_DOCX)
    for name in zip_.names:  # inflate every part once: real sizes, CRCs and the total are checked now
        data = zip_.read(name)
        if name.lower().endswith((".xml", ".rels")) and data is not None and _has_doctype(data):
            raise UntrustedFileError(
                path,
                f"{name} has a DOCTYPE (entity declarations: XXE or entity-expansion attack)",
                _EXPECTED_XML,
            )
    return OfficePackage(path, zip_.names, zip_)


# --------------------------------------------------------------------------- XML

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
)

_DOCTYPE_MARKERS = (
    b"<!DOCTYPE",
    "<!DOCTYPE".encode("utf-16-le"),
    "<!DOCTYPE".encode("utf-16-be"),
    b"<!ENTITY",
    "<!ENTITY".encode("utf-16-le"),
    "<!ENTITY".encode("utf-16-be"),
)

_EXPECTED_XML = "well-formed Office XML without a DOCTYPE, as Word and LibreOffice write it"


def _has_doctype(data: bytes) -> bool:
    """A DOCTYPE in the prolog (UTF-8 or UTF-16); one hidden further on is caught after parsing."""
    head = data[:65536]
    return any(marker in head for marker in _DOCTYPE_MARKERS)


def parse_xml(
    data: bytes, where: str | Path, *, part: str | None = None, limits: Limits = LIMITS
) -> etree._Element:
    """Parse untrusted XML: no entities, DTDs or network, and any DOCTYPE refused (OOXML has none)."""
    path = Path(where)
    label = f"{part} " if part else ""

    def refuse(why: str) -> UntrustedFileError:
        return UntrustedFileError(path, f"{label}{why}", _EXPECTED_XML)

    if _has_doctype(data):
        raise refuse("has a DOCTYPE (entity declarations: XXE or entity-expansion attack)")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise refuse(f"is not well-formed XML ({exc.msg})") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise refuse("has a DOCTYPE (entity declarations: XXE or entity-expansion attack)")
    if limits.max_xml_depth < _LIBXML_MAX_DEPTH and _depth(root) > limits.max_xml_depth:
        raise refuse(f"nests elements deeper than {limits.max_xml_depth} levels")
    return root


def _depth(root: etree._Element) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in el)
    return deepest


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
    data = _read_bounded(path, limits)
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
