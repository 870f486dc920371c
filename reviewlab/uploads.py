"""Uploaded code, written safely to disk: an archive (zip, tar, tar.gz, tar.bz2, tar.xz) or a list of files.

``extract_archive(data, filename, dest, limits)`` recognises the format by its content (magic bytes, not
the name) and streams every member into ``dest``, which must be empty or not exist yet. It refuses, with
a subclass of :class:`UploadError` naming the member, an archive that:

* is bigger than ``max_archive_bytes``, holds more than ``max_files`` members (every entry counts:
  directories, links and special files too), or unpacks to more than ``max_unpacked_bytes``. The
  unpacked size is the bytes actually written, counted while streaming, so headers cannot lie it
  smaller: a zip member stops at its declared size (``zipfile`` truncates it and the CRC then fails), a
  tar stream stops once its decompressed bytes pass the limit plus the tar headers' overhead, and the
  declared zip sizes are summed first only to refuse an honest bomb before writing anything;
* names a member with an absolute path (``/x``, ``C:\\x``, ``\\\\server\\share``), a ``..`` component
  (backslashes count as separators), NUL or another control character, invalid UTF-8, a component over
  ``max_name_length`` bytes or a path over ``max_path_length`` bytes (:class:`UnsafePath`);
* names the same path twice, or a path as both a file and a directory (:class:`DuplicatePath`);
* holds a symbolic or hard link whose target is absolute or leaves the archive (:class:`UnsafeLink`);
* holds an encrypted zip member (:class:`EncryptedMember`), or is damaged (:class:`CorruptArchive`).

Links are never created, not even those pointing inside the archive: they are *skipped* and listed in
:attr:`ExtractedArchive.skipped` with their target, so nothing written later can go through one. Device
files, FIFOs and unknown member types are skipped and listed the same way. Regular files are created
with default permissions (mode bits, owners and times from the archive are ignored) and with
``O_EXCL | O_NOFOLLOW``, so nothing existing is overwritten or followed. On any refusal everything
written so far is removed (and ``dest`` and its parents too, when this call created them).

``write_files(files, dest, limits)`` writes uploaded files under the same path rules and limits
(``max_files``, ``max_unpacked_bytes``); it checks everything before writing anything.

Errors::

    InputError
    └── UploadError
        ├── UploadTooLarge          ArchiveTooLarge, TooManyFiles, UnpackedTooLarge (the API answers 413)
        ├── UnsafePath
        ├── DuplicatePath
        ├── UnsafeLink
        ├── EncryptedMember
        ├── UnsupportedArchive      not a zip or tar archive, or an unsupported zip compression
        └── CorruptArchive
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING

from reviewlab.errors import InputError

if TYPE_CHECKING:
    from reviewlab.settings import Settings

CHUNK = 64 * 1024
TAR_OVERHEAD_PER_MEMBER = 4 * 1024  # header, padding and long-name or pax blocks of one tar member
_MAX_LINK_TARGET = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError)


class UploadError(InputError):
    """Uploaded code was refused; the message names the member and the rule."""


class UploadTooLarge(UploadError):
    """The upload is over one of the size or count limits."""


class ArchiveTooLarge(UploadTooLarge):
    """The archive itself is over ``max_archive_bytes``."""


class TooManyFiles(UploadTooLarge):
    """The archive or upload holds more than ``max_files`` members."""


class UnpackedTooLarge(UploadTooLarge):
    """The content is over ``max_unpacked_bytes`` once unpacked."""


class UnsafePath(UploadError):
    """A member's name is absolute, climbs out with ``..``, holds control characters or is too long."""


class DuplicatePath(UploadError):
    """Two members have the same path, or a path is both a file and a directory."""


class UnsafeLink(UploadError):
    """A symbolic or hard link points outside the archive."""


class EncryptedMember(UploadError):
    """A zip member is encrypted."""


class UnsupportedArchive(UploadError):
    """The content is not a zip or tar archive (plain or gzip, bzip2, xz compressed)."""


class CorruptArchive(UploadError):
    """The archive is damaged or truncated."""


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """How much an upload may hold. Path lengths are in UTF-8 bytes."""

    max_archive_bytes: int = 20 * 1024 * 1024
    max_files: int = 5000
    max_unpacked_bytes: int = 200 * 1024 * 1024
    max_path_length: int = 1024
    max_name_length: int = 255

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchiveLimits:
        return cls(
            max_archive_bytes=settings.reviewlab_max_archive_bytes,
            max_files=settings.reviewlab_max_archive_files,
            max_unpacked_bytes=settings.reviewlab_max_unpacked_bytes,
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    """A member that was not written: a link (with its target), a device, a FIFO or an unknown type."""

    path: PurePosixPath
    kind: str  # "symlink", "hardlink", "device", "fifo", "other"
    target: str | None = None


@dataclass(frozen=True, slots=True)
class ExtractedArchive:
    """What was written under ``root``: the files in archive order, their total size, what was skipped."""

    root: Path
    format: str  # "zip", "tar", "tar.gz", "tar.bz2", "tar.xz", or "files" for write_files
    files: tuple[PurePosixPath, ...]
    total_bytes: int
    skipped: tuple[Skipped, ...] = ()


def safe_relpath(name: str, *, max_path_length: int = 1024, max_name_length: int = 255) -> PurePosixPath:
    """``name`` as a relative POSIX path inside the upload, or :class:`UnsafePath`.

    Backslashes are separators; empty and ``.`` components are dropped; ``..`` anywhere is refused.
    """
    shown = repr(name[:200])
    if _CONTROL.search(name):
        raise UnsafePath(f"{shown}: control character in the name")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise UnsafePath(f"{shown}: the name is not valid UTF-8") from None
    if size > max_path_length:
        raise UnsafePath(f"{shown}: the path is longer than {max_path_length} bytes")
    slashed = name.replace("\\", "/")
    if slashed.startswith("/") or _DRIVE.match(slashed):
        raise UnsafePath(f"{shown}: absolute path")
    parts = [part for part in slashed.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise UnsafePath(f"{shown}: '..' in the path")
    if not parts:
        raise UnsafePath(f"{shown}: empty path")
    if any(len(part.encode("utf-8")) > max_name_length for part in parts):
        raise UnsafePath(f"{shown}: a name is longer than {max_name_length} bytes")
    return PurePosixPath(*parts)


def detect_format(data: bytes) -> str | None:
    """``zip``, ``tar``, ``tar.gz``, ``tar.bz2`` or ``tar.xz`` from the magic bytes; None when none fits."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[:2] == b"\x1f\x8b":
        return "tar.gz"
    if data[:3] == b"BZh":
        return "tar.bz2"
    if data[:6] == b"\xfd7zXZ\x00":
        return "tar.xz"
    if data[257:262] == b"ustar":
        return "tar"
    return None


def extract_archive(data: bytes, filename: str, dest: Path, limits: ArchiveLimits) -> ExtractedArchive:
    """Unpack the archive ``data`` (uploaded as ``filename``) into ``dest`` (see the module's documentation)."""
    if len(data) > limits.max_archive_bytes:
        raise ArchiveTooLarge(f"{filename!r} is {len(data)} bytes, more than the {limits.max_archive_bytes} allowed")
    kind = detect_format(data)
    if kind is None:
        raise UnsupportedArchive(f"{filename!r} is not a zip or tar archive (.tar, .tar.gz, .tar.bz2, .tar.xz)")
    writer = _Writer(dest, limits)
    try:
        if kind == "zip":
            _extract_zip(data, writer)
        else:
            _extract_tar(data, kind, writer)
    except BaseException:
        writer.discard()
        raise
    return writer.result(kind)


def write_files(files: Sequence[tuple[str, bytes]], dest: Path, limits: ArchiveLimits) -> ExtractedArchive:
    """Write uploaded ``(name, content)`` pairs under ``dest``; every rule is checked before anything is written."""
    if len(files) > limits.max_files:
        raise TooManyFiles(f"{len(files)} files, more than the {limits.max_files} allowed")
    total = sum(len(content) for _, content in files)
    if total > limits.max_unpacked_bytes:
        raise UnpackedTooLarge(f"the files hold {total} bytes, more than the {limits.max_unpacked_bytes} allowed")
    checker = _Layout()
    paths = []
    for name, _ in files:
        path = _relpath(name, limits)
        checker.claim(path, directory=False)
        paths.append(path)
    writer = _Writer(dest, limits)
    try:
        for path, (_, content) in zip(paths, files, strict=True):
            writer.member(path.as_posix())
            writer.file(path, iter((content,)) if content else iter(()))
    except BaseException:
        writer.discard()
        raise
    return writer.result("files")


def _relpath(name: str, limits: ArchiveLimits) -> PurePosixPath:
    return safe_relpath(name, max_path_length=limits.max_path_length, max_name_length=limits.max_name_length)


class _Layout:
    """The paths claimed so far: each once, and never both a file and a directory."""

    def __init__(self) -> None:
        self.leaves: set[PurePosixPath] = set()  # files, skipped members
        self.directories: set[PurePosixPath] = set()  # explicit and implied by a deeper path

    def claim(self, path: PurePosixPath, *, directory: bool) -> None:
        shown = repr(path.as_posix())
        if path in self.leaves or (not directory and path in self.directories):
            raise DuplicatePath(f"{shown} appears twice in the upload (or as both a file and a directory)")
        for parent in path.parents:
            if parent in self.leaves:
                raise DuplicatePath(f"{shown} is under {parent.as_posix()!r}, which is a file in the upload")
        self.directories.update(p for p in path.parents if p.parts)
        (self.directories if directory else self.leaves).add(path)


class _Writer:
    """Writes members under ``root``, counts files and bytes against the limits, and removes it all on refusal."""

    def __init__(self, dest: Path, limits: ArchiveLimits) -> None:
        self._created_ancestors = [path for path in (dest, *dest.parents) if not path.exists()]  # deepest first
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise ValueError(f"{dest} must be an empty directory (or not exist)")
        self.root = dest.resolve()
        self.limits = limits
        self.layout = _Layout()
        self.members = 0
        self.total = 0
        self.files: list[PurePosixPath] = []
        self.skipped: list[Skipped] = []
        self._created: list[Path] = []  # files and directories, in creation order

    def member(self, name: str) -> PurePosixPath:
        self.members += 1
        if self.members > self.limits.max_files:
            raise TooManyFiles(f"more than the {self.limits.max_files} members allowed")
        return _relpath(name, self.limits)

    def directory(self, path: PurePosixPath) -> None:
        self.layout.claim(path, directory=True)
        self._make_directories(path)

    def file(self, path: PurePosixPath, chunks: Iterator[bytes]) -> None:
        self.layout.claim(path, directory=False)
        self._make_directories(path.parent)
        target = self.root.joinpath(*path.parts)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(target, flags, 0o644)
        self._created.append(target)
        self.files.append(path)
        with open(descriptor, "wb") as out:
            for chunk in chunks:
                if self.total + len(chunk) > self.limits.max_unpacked_bytes:
                    raise UnpackedTooLarge(
                        f"{path.as_posix()!r}: more than the {self.limits.max_unpacked_bytes} unpacked bytes allowed"
                    )
                self.total += len(chunk)
                out.write(chunk)

    def link(self, path: PurePosixPath, target: str, *, hard: bool) -> None:
        """Skip a link, after refusing one whose target is absolute or leaves the archive."""
        kind = "hardlink" if hard else "symlink"
        slashed = target.replace("\\", "/")
        problem = "is empty" if not target else None
        if _CONTROL.search(target):
            problem = "holds a control character"
        elif slashed.startswith("/") or _DRIVE.match(slashed):
            problem = "is absolute"
        resolved: list[str] = []
        for part in [*(() if hard else path.parent.parts), *slashed.split("/")]:
            if part == ".." and not resolved:
                problem = problem or "leaves the archive"
            elif part == "..":
                resolved.pop()
            elif part not in ("", "."):
                resolved.append(part)
        if problem:
            raise UnsafeLink(f"{path.as_posix()!r}: the {kind} target {target[:200]!r} {problem}")
        self.skip(path, kind, target)

    def skip(self, path: PurePosixPath, kind: str, target: str | None = None) -> None:
        self.layout.claim(path, directory=False)
        self.skipped.append(Skipped(path, kind, target))

    def result(self, kind: str) -> ExtractedArchive:
        return ExtractedArchive(self.root, kind, tuple(self.files), self.total, tuple(self.skipped))

    def discard(self) -> None:
        for created in reversed(self._created):
            if created.is_dir() and not created.is_symlink():
                created.rmdir()
            else:
                created.unlink(missing_ok=True)
        for created in self._created_ancestors:
            created.rmdir()

    def _make_directories(self, path: PurePosixPath) -> None:
        current = self.root
        for part in path.parts:
            current = current / part
            try:
                current.mkdir()
            except FileExistsError:
                if current.is_symlink() or not current.is_dir():
                    raise DuplicatePath(f"{path.as_posix()!r} is both a file and a directory") from None
                continue
            self._created.append(current)


def _chunks(source: IO[bytes], name: str) -> Iterator[bytes]:
    while True:
        try:
            chunk = source.read(CHUNK)
        except _READ_ERRORS as err:
            raise CorruptArchive(f"{name!r}: cannot read the member ({err})") from err
        if not chunk:
            return
        yield chunk


def _extract_zip(data: bytes, writer: _Writer) -> None:
    limits = writer.limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise CorruptArchive(f"not a readable zip archive ({err})") from err
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_files:
            raise TooManyFiles(f"{len(members)} members, more than the {limits.max_files} allowed")
        declared = sum(member.file_size for member in members)
        if declared > limits.max_unpacked_bytes:
            raise UnpackedTooLarge(f"unpacks to {declared} bytes, more than the {limits.max_unpacked_bytes} allowed")
        for member in members:
            path = writer.member(member.orig_filename)  # zipfile cuts `filename` at a NUL
            if member.flag_bits & 0x1:
                raise EncryptedMember(f"{member.filename!r} is encrypted")
            mode = member.external_attr >> 16 if member.create_system == 3 else 0
            kind = stat.S_IFMT(mode)
            if member.is_dir() or kind == stat.S_IFDIR:
                writer.directory(path)
            elif kind in (0, stat.S_IFREG, stat.S_IFLNK):
                with _open_zip_member(archive, member) as source:
                    if kind == stat.S_IFLNK:
                        target = b"".join(_chunks(source, member.filename))
                        writer.link(path, target[:_MAX_LINK_TARGET].decode("utf-8", "replace"), hard=False)
                    else:
                        writer.file(path, _chunks(source, member.filename))
            else:
                writer.skip(path, _special_kind(kind))


def _open_zip_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> IO[bytes]:
    try:
        return archive.open(member)
    except NotImplementedError as err:
        raise UnsupportedArchive(f"{member.filename!r}: {err}") from err
    except (*_READ_ERRORS, RuntimeError) as err:
        raise CorruptArchive(f"{member.filename!r}: cannot read the member ({err})") from err


def _special_kind(mode_type: int) -> str:
    if mode_type in (stat.S_IFCHR, stat.S_IFBLK):
        return "device"
    return "fifo" if mode_type == stat.S_IFIFO else "other"


class _Capped(io.RawIOBase):
    """A decompressed stream that refuses to yield more than ``cap`` bytes."""

    def __init__(self, source: io.BufferedIOBase, cap: int, limit: int) -> None:
        self._source = source
        self._cap = cap
        self._limit = limit
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        room = self._cap - self.consumed + 1
        data = self._source.read(room if size < 0 else min(size, room))
        self.consumed += len(data)
        if self.consumed > self._cap:
            raise UnpackedTooLarge(f"unpacks to more than the {self._limit} bytes allowed")
        return data


def _decompressed(kind: str, data: bytes) -> io.BufferedIOBase:
    source = io.BytesIO(data)
    if kind == "tar.gz":
        return gzip.GzipFile(fileobj=source, mode="rb")
    if kind == "tar.bz2":
        return bz2.BZ2File(source)
    if kind == "tar.xz":
        return lzma.LZMAFile(source)
    return source


def _extract_tar(data: bytes, kind: str, writer: _Writer) -> None:
    limits = writer.limits
    cap = limits.max_unpacked_bytes + limits.max_files * TAR_OVERHEAD_PER_MEMBER + 1024 * 1024
    with _decompressed(kind, data) as raw:
        stream = _Capped(raw, cap, limits.max_unpacked_bytes)
        with _open_tar(stream, kind) as archive:
            while (member := _next_tar_member(archive, kind)) is not None:
                path = writer.member(member.name)
                if member.isdir():
                    writer.directory(path)
                elif member.isreg():
                    source = archive.extractfile(member)
                    if source is None:
                        raise CorruptArchive(f"{member.name!r}: a regular member without content")
                    writer.file(path, _chunks(source, member.name))
                elif member.issym() or member.islnk():
                    writer.link(path, member.linkname, hard=member.islnk())
                elif member.ischr() or member.isblk():
                    writer.skip(path, "device")
                else:
                    writer.skip(path, "fifo" if member.isfifo() else "other")


def _open_tar(stream: _Capped, kind: str) -> tarfile.TarFile:
    try:
        return tarfile.open(fileobj=stream, mode="r|")  # streaming: one pass, nothing seeks back
    except _READ_ERRORS as err:
        raise CorruptArchive(f"not a readable {kind} archive ({err})") from err


def _next_tar_member(archive: tarfile.TarFile, kind: str) -> tarfile.TarInfo | None:
    try:
        return archive.next()
    except _READ_ERRORS as err:
        raise CorruptArchive(f"not a readable {kind} archive ({err})") from err
