"""A party's zip package and XML, checked before anything reads them (see `untrusted` for the rules).

`SafeZip` holds the archive in memory once its central directory passed every structural check,
and inflates a member in 64 KB steps, counting real output against the limits; `parse_xml`
parses with entities unresolved, no network or DTD, and refuses any DOCTYPE.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .bounds import EXPECTED_DOCX, LIBXML_MAX_DEPTH, LIMITS, Limits, UntrustedFileError, size_text


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
class SafeZip:
    """A zip archive held in memory whose directory has passed every structural check."""

    path: Path
    data: bytes
    limits: Limits
    infos: dict[str, zipfile.ZipInfo]
    names: tuple[str, ...]
    _read_total: int = 0
    _read_names: set[str] = field(default_factory=set)

    @classmethod
    def open(cls, path: Path, data: bytes, limits: Limits) -> SafeZip:
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise UntrustedFileError(path, f"the file is a damaged zip archive ({exc})", EXPECTED_DOCX) from None
        if len(infos) > limits.max_members:
            raise UntrustedFileError(
                path,
                f"the archive has {len(infos)} members, over the limit of {limits.max_members}",
                EXPECTED_DOCX,
            )
        seen: dict[str, str] = {}
        total = 0
        for info in infos:
            name = info.orig_filename
            why = _bad_name(name)
            if why:
                raise UntrustedFileError(
                    path, f"archive member name {name!r} {why} (path traversal)", EXPECTED_DOCX
                )
            key = name.lower()
            if key in seen:
                raise UntrustedFileError(
                    path, f"archive member {name!r} appears more than once", EXPECTED_DOCX
                )
            seen[key] = name
            if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
                raise UntrustedFileError(
                    path, f"archive member {name!r} is a symbolic link", EXPECTED_DOCX
                )
            if info.flag_bits & 0x1:
                raise UntrustedFileError(
                    path,
                    f"archive member {name!r} is encrypted; remove the password",
                    EXPECTED_DOCX,
                )
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UntrustedFileError(
                    path,
                    f"archive member {name!r} uses compression method {info.compress_type}, "
                    "which Word never writes",
                    EXPECTED_DOCX,
                )
            if info.file_size > limits.max_member_bytes:
                raise UntrustedFileError(
                    path,
                    f"archive member {name!r} expands to {size_text(info.file_size)}, "
                    f"over the {size_text(limits.max_member_bytes)} limit per member (zip bomb?)",
                    EXPECTED_DOCX,
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
                raise UntrustedFileError(
                    path,
                    f"archive member {name!r} expands {ratio:.0f}x "
                    f"({size_text(info.compress_size)} to {size_text(info.file_size)}), over the "
                    f"{limits.max_ratio:.0f}x limit (zip bomb)",
                    EXPECTED_DOCX,
                )
            total += info.file_size
        if total > limits.max_total_uncompressed:
            raise UntrustedFileError(
                path,
                f"the archive expands to {size_text(total)} in total, over the "
                f"{size_text(limits.max_total_uncompressed)} limit (zip bomb)",
                EXPECTED_DOCX,
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
                self._refuse(info, f"is stored as {size_text(len(out))} but its header says {size_text(info.file_size)}")
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
        raise UntrustedFileError(self.path, f"archive member {info.orig_filename!r} {why}", EXPECTED_DOCX)

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
                        f"expands to more than the {size_text(info.file_size)} its header claims "
                        "(lying size header, zip bomb)",
                    )
                if produced > cap:
                    self._refuse(info, f"expands past the {size_text(cap)} limit (zip bomb)")
                chunks.append(piece)
                if d.eof or (not piece and not pending):
                    break
        except zlib.error as exc:
            self._refuse(info, f"is corrupt ({exc})")
        if not d.eof:
            self._refuse(info, "is truncated")
        if produced != info.file_size:
            self._refuse(
                info, f"expands to {size_text(produced)} but its header says {size_text(info.file_size)}"
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
                EXPECTED_DOCX,
            )


# --------------------------------------------------------------------------- XML

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
)

DOCTYPE_MARKERS = (
    b"<!DOCTYPE",
    "<!DOCTYPE".encode("utf-16-le"),
    "<!DOCTYPE".encode("utf-16-be"),
    b"<!ENTITY",
    "<!ENTITY".encode("utf-16-le"),
    "<!ENTITY".encode("utf-16-be"),
)

EXPECTED_XML = "well-formed Office XML without a DOCTYPE, as Word and LibreOffice write it"


def has_doctype(data: bytes) -> bool:
    """A DOCTYPE in the prolog (UTF-8 or UTF-16); one hidden further on is caught after parsing."""
    head = data[:65536]
    return any(marker in head for marker in DOCTYPE_MARKERS)


def parse_xml(
    data: bytes, where: str | Path, *, part: str | None = None, limits: Limits = LIMITS
) -> etree._Element:
    """Parse untrusted XML: no entities, DTDs or network, and any DOCTYPE refused (OOXML has none)."""
    path = Path(where)
    label = f"{part} " if part else ""

    def refuse(why: str) -> UntrustedFileError:
        return UntrustedFileError(path, f"{label}{why}", EXPECTED_XML)

    if has_doctype(data):
        raise refuse("has a DOCTYPE (entity declarations: XXE or entity-expansion attack)")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise refuse(f"is not well-formed XML ({exc.msg})") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise refuse("has a DOCTYPE (entity declarations: XXE or entity-expansion attack)")
    if limits.max_xml_depth < LIBXML_MAX_DEPTH and _depth(root) > limits.max_xml_depth:
        raise refuse(f"nests elements deeper than {limits.max_xml_depth} levels")
    return root


def _depth(root: etree._Element) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in el)
    return deepest
