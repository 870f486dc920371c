"""Uploads: archives of every format recognised by content, and every refusal with an archive crafted here;
after a refusal nothing is left in ``dest`` and nothing was ever written outside it.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import tarfile
import time
import warnings
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

import pytest

from reviewlab.errors import InputError
from reviewlab.settings import Settings
from reviewlab.uploads import (
    ArchiveLimits,
    ArchiveTooLarge,
    CorruptArchive,
    DuplicatePath,
    EncryptedMember,
    Skipped,
    TooManyFiles,
    UnpackedTooLarge,
    UnsafeLink,
    UnsafePath,
    UnsupportedArchive,
    UploadError,
    UploadTooLarge,
    detect_format,
    extract_archive,
    safe_relpath,
    write_files,
)

LIMITS = ArchiveLimits(max_archive_bytes=1024 * 1024, max_files=20, max_unpacked_bytes=1024 * 1024)
MIB = 1024 * 1024
TAR_MODES = {"tar": "w", "tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz"}
FORMATS = ["zip", *TAR_MODES]
PROJECT = [("README.md", b"# demo\n"), ("src/app.py", b"print('hi')\n"), ("src/pkg/util.py", b"")]
UNSAFE_NAMES = [
    "/etc/passwd",
    "../evil.py",
    "src/../../evil.py",
    "..\\evil.py",
    "src\\..\\..\\evil.py",
    "C:\\Windows\\evil.py",
    "C:evil.py",
    "\\\\server\\share\\evil.py",
    "line\nbreak.py",
    "x" * 256 + ".py",
    "/".join(["d" * 100] * 11),
]


# Crafting archives


def make_zip(entries: Iterable[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names some tests write on purpose
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in entries:
                archive.writestr(name, content)
    return buffer.getvalue()


def zip_symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def tar_member(name: str, content: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(content) if kind == tarfile.REGTYPE else 0
    info.linkname = link
    return info


def make_tar(members: Iterable[tarfile.TarInfo | tuple[str, bytes]], kind: str = "tar.gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=TAR_MODES[kind], format=tarfile.PAX_FORMAT) as archive:  # type: ignore[call-overload]
        for member in members:
            if isinstance(member, tuple):
                name, content = member
                archive.addfile(tar_member(name, content), io.BytesIO(content))
            else:
                archive.addfile(member, io.BytesIO(b"") if member.isreg() else None)
    return buffer.getvalue()


def make_archive(kind: str, entries: list[tuple[str, bytes]]) -> bytes:
    return make_zip(entries) if kind == "zip" else make_tar(entries, kind)


def set_zip_field(data: bytes, local_offset: int, central_offset: int, fmt: str, value: int) -> bytes:
    """``data`` with one field of the first member changed in its local header and its central directory entry."""
    patched = bytearray(data)
    central = data.index(b"PK\x01\x02")
    struct.pack_into(fmt, patched, local_offset, value)
    struct.pack_into(fmt, patched, central + central_offset, value)
    return bytes(patched)


def tree(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*")}


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    (tmp_path / "neighbour.txt").write_text("must stay as it is")
    return tmp_path / "uploads" / "job-1"


@pytest.fixture
def refused(tmp_path: Path, dest: Path) -> Callable[..., UploadError]:
    """Extract and expect a refusal; check nothing is left in ``dest`` and nothing changed outside it."""

    def check(
        data: bytes, error: type[UploadError], match: str | None = None, limits: ArchiveLimits = LIMITS
    ) -> UploadError:
        before = tree(tmp_path)
        with pytest.raises(error, match=match) as caught:
            extract_archive(data, "upload", dest, limits)
        assert not dest.exists()
        assert tree(tmp_path) == before
        assert (tmp_path / "neighbour.txt").read_text() == "must stay as it is"
        return caught.value

    return check


# What is extracted


@pytest.mark.parametrize("kind", FORMATS)
def test_every_format_is_recognised_by_content_and_extracted(kind: str, dest: Path) -> None:
    data = make_archive(kind, PROJECT)
    assert detect_format(data) == kind
    result = extract_archive(data, "project.zip" if kind != "zip" else "project.tar.gz", dest, LIMITS)
    assert result.format == kind
    assert result.root == dest.resolve()
    assert result.files == tuple(PurePosixPath(name) for name, _ in PROJECT)
    assert result.total_bytes == sum(len(content) for _, content in PROJECT)
    assert result.skipped == ()
    for name, content in PROJECT:
        assert (dest / name).read_bytes() == content


def test_directories_are_created_and_dot_components_dropped(dest: Path) -> None:
    data = make_zip([("docs/", b""), ("./docs/./guide.md", b"guide"), ("a//b.txt", b"b")])
    result = extract_archive(data, "x.zip", dest, LIMITS)
    assert result.files == (PurePosixPath("docs/guide.md"), PurePosixPath("a/b.txt"))
    assert tree(dest) == {"docs", "docs/guide.md", "a", "a/b.txt"}


def test_an_existing_empty_destination_is_used_and_left_empty_after_a_refusal(dest: Path) -> None:
    dest.mkdir(parents=True)
    with pytest.raises(UnsafePath):
        extract_archive(make_zip([("ok.py", b"x"), ("../evil.py", b"x")]), "x.zip", dest, LIMITS)
    assert dest.is_dir()
    assert tree(dest) == set()


def test_a_destination_with_content_is_a_programming_error(dest: Path) -> None:
    dest.mkdir(parents=True)
    (dest / "old.py").write_text("x")
    with pytest.raises(ValueError, match="must be an empty directory"):
        extract_archive(make_zip(PROJECT), "x.zip", dest, LIMITS)
    assert tree(dest) == {"old.py"}


def test_limits_come_from_the_settings() -> None:
    settings = Settings(
        reviewlab_max_archive_bytes=2048, reviewlab_max_archive_files=7, reviewlab_max_unpacked_bytes=4096
    )
    limits = ArchiveLimits.from_settings(settings)
    assert (limits.max_archive_bytes, limits.max_files, limits.max_unpacked_bytes) == (2048, 7, 4096)


def test_the_errors_are_input_errors_and_the_limits_share_a_class() -> None:
    assert issubclass(UploadError, InputError)
    assert all(issubclass(e, UploadTooLarge) for e in (ArchiveTooLarge, TooManyFiles, UnpackedTooLarge))


# Formats


@pytest.mark.parametrize(
    "data",
    [b"print('not an archive')\n" * 40, b"", b"%PDF-1.7" + bytes(600), b"Rar!\x1a\x07\x00" + bytes(600)],
)
def test_content_that_is_no_archive_is_unsupported_whatever_its_name(
    data: bytes, refused: Callable[..., UploadError]
) -> None:
    refused(data, UnsupportedArchive, "not a zip or tar archive")


def test_a_gzip_that_holds_no_tar_is_corrupt(refused: Callable[..., UploadError]) -> None:
    import gzip

    refused(gzip.compress(b"just some text\n" * 100), CorruptArchive, "tar.gz")


@pytest.mark.parametrize("kind", FORMATS)
def test_a_truncated_archive_is_corrupt(kind: str, refused: Callable[..., UploadError]) -> None:
    data = make_archive(kind, [("a.py", bytes(range(256)) * 40), ("b.py", b"b")])
    refused(data[: len(data) // 2], CorruptArchive)


def test_an_unsupported_zip_compression_is_refused(refused: Callable[..., UploadError]) -> None:
    data = set_zip_field(make_zip([("a.py", b"x" * 100)]), 8, 10, "<H", 99)  # compression method 99
    refused(data, UnsupportedArchive, "compression method")


# Limits


def test_an_archive_over_the_size_limit_is_refused_unread(refused: Callable[..., UploadError]) -> None:
    data = make_zip([("random.bin", os.urandom(2048))])  # incompressible
    refused(data, ArchiveTooLarge, "more than the 1024 allowed", ArchiveLimits(max_archive_bytes=1024))


@pytest.mark.parametrize("kind", FORMATS)
def test_too_many_members_are_refused(kind: str, refused: Callable[..., UploadError]) -> None:
    data = make_archive(kind, [(f"f{i}.py", b"x") for i in range(21)])
    refused(data, TooManyFiles, "20")


def test_directories_count_as_members(refused: Callable[..., UploadError]) -> None:
    refused(make_zip([(f"d{i}/", b"") for i in range(21)]), TooManyFiles)


def test_an_honest_zip_bomb_is_refused_before_anything_is_written(refused: Callable[..., UploadError]) -> None:
    data = make_zip([("ok.py", b"x"), ("bomb.txt", bytes(8 * MIB))])
    assert len(data) < 20_000
    refused(data, UnpackedTooLarge, "unpacks to 8388609 bytes")


def test_a_zip_bomb_whose_headers_lie_stops_at_the_declared_size_and_is_refused(
    refused: Callable[..., UploadError],
) -> None:
    data = make_zip([("bomb.txt", bytes(64 * MIB))])  # 64 MiB of zeros in about 64 KiB
    lying = set_zip_field(data, 22, 24, "<I", 1000)  # "uncompressed size: 1000 bytes", in both headers
    with zipfile.ZipFile(io.BytesIO(lying)) as archive:
        assert archive.infolist()[0].file_size == 1000
    started = time.monotonic()
    refused(lying, CorruptArchive, "bomb.txt")  # cut at 1000 bytes; the CRC of the whole no longer matches
    assert time.monotonic() - started < 2  # it did not inflate the 64 MiB


@pytest.mark.parametrize("kind", list(TAR_MODES))
def test_a_tar_over_the_unpacked_limit_stops_at_the_limit_while_streaming(
    kind: str, refused: Callable[..., UploadError]
) -> None:
    data = make_tar([("small.py", b"x" * 1000), ("zeros.bin", bytes(2 * MIB))], kind)
    limits = ArchiveLimits(max_archive_bytes=4 * MIB, max_files=10, max_unpacked_bytes=MIB)  # a plain tar is big
    error = refused(data, UnpackedTooLarge, "'zeros.bin': more than the 1048576 unpacked bytes", limits)
    assert isinstance(error, UploadTooLarge)


def test_many_small_members_add_up_to_the_unpacked_limit(refused: Callable[..., UploadError]) -> None:
    limits = ArchiveLimits(max_archive_bytes=MIB, max_files=100, max_unpacked_bytes=10_000)
    refused(make_tar([(f"f{i}.py", b"y" * 1000) for i in range(11)]), UnpackedTooLarge, "'f10.py'", limits)


def test_a_huge_pax_header_is_capped_while_decompressing(refused: Callable[..., UploadError]) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        info = tar_member("a.py", b"x")
        info.pax_headers = {"comment": "z" * (3 * MIB)}  # read whole into memory by tarfile, so it is capped
        archive.addfile(info, io.BytesIO(b"x"))
    limits = ArchiveLimits(max_archive_bytes=MIB, max_files=10, max_unpacked_bytes=1024 * 1024)
    refused(buffer.getvalue(), UnpackedTooLarge, "unpacks to more than", limits)


# Paths


@pytest.mark.parametrize("name", UNSAFE_NAMES)
@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_an_unsafe_member_name_is_refused_and_the_members_before_it_removed(
    kind: str, name: str, refused: Callable[..., UploadError]
) -> None:
    refused(make_archive(kind, [("src/ok.py", b"fine"), (name, b"evil")]), UnsafePath)


def test_a_nul_in_a_zip_name_is_refused_although_zipfile_would_cut_the_name_there(
    refused: Callable[..., UploadError],
) -> None:
    data = make_zip([("evil.py_.txt", b"x")]).replace(b"evil.py_.txt", b"evil.py\x00.txt")
    refused(data, UnsafePath, "control character")


def test_invalid_utf8_in_a_tar_name_is_refused(refused: Callable[..., UploadError]) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT, encoding="latin-1") as archive:
        archive.addfile(tar_member("caf\xe9.py", b"x"), io.BytesIO(b"x"))
    refused(buffer.getvalue(), UnsafePath, "not valid UTF-8")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a/./b//c.py", "a/b/c.py"), ("a\\b\\c.py", "a/b/c.py"), ("./x", "x"), ("dir/", "dir"), ("naïve.py", "naïve.py")],
)
def test_safe_relpath_normalises(name: str, expected: str) -> None:
    assert safe_relpath(name) == PurePosixPath(expected)


@pytest.mark.parametrize("name", [*UNSAFE_NAMES, "", ".", "./", "a\x00b", "a/\x7f", "a/..", "..", "\udcff.py"])
def test_safe_relpath_refuses(name: str) -> None:
    with pytest.raises(UnsafePath):
        safe_relpath(name)


# Duplicates


@pytest.mark.parametrize(
    "names",
    [
        ["a.py", "a.py"],
        ["a.py", "./a.py"],
        ["src/a.py", "src\\a.py"],
        ["src", "src/a.py"],
        ["src/a.py", "src"],
    ],
)
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_a_path_named_twice_or_as_file_and_directory_is_refused(
    kind: str, names: list[str], refused: Callable[..., UploadError]
) -> None:
    refused(make_archive(kind, [(name, b"x") for name in names]), DuplicatePath)


def test_a_directory_entry_may_repeat_an_implied_directory(dest: Path) -> None:
    result = extract_archive(make_tar([("src/a.py", b"x"), tar_member("src", kind=tarfile.DIRTYPE)]), "x", dest, LIMITS)
    assert result.files == (PurePosixPath("src/a.py"),)


# Links and special files


def test_links_inside_the_archive_are_skipped_and_reported(dest: Path) -> None:
    data = make_tar(
        [
            ("README.md", b"readme"),
            tar_member("docs/readme", kind=tarfile.SYMTYPE, link="../README.md"),
            tar_member("copy.md", kind=tarfile.LNKTYPE, link="README.md"),
            tar_member("pipe", kind=tarfile.FIFOTYPE),
            tar_member("null", kind=tarfile.CHRTYPE),
            tar_member("disk", kind=tarfile.BLKTYPE),
            ("after.py", b"still extracted"),
        ]
    )
    result = extract_archive(data, "x.tgz", dest, LIMITS)
    assert result.files == (PurePosixPath("README.md"), PurePosixPath("after.py"))
    assert result.skipped == (
        Skipped(PurePosixPath("docs/readme"), "symlink", "../README.md"),
        Skipped(PurePosixPath("copy.md"), "hardlink", "README.md"),
        Skipped(PurePosixPath("pipe"), "fifo"),
        Skipped(PurePosixPath("null"), "device"),
        Skipped(PurePosixPath("disk"), "device"),
    )
    assert tree(dest) == {"README.md", "after.py"}  # no link, no device, not even docs/


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        (tar_member("etc", kind=tarfile.SYMTYPE, link="/etc"), "is absolute"),
        (tar_member("up", kind=tarfile.SYMTYPE, link=".."), "leaves the archive"),
        (tar_member("a/b/up", kind=tarfile.SYMTYPE, link="../../../x"), "leaves the archive"),
        (tar_member("a/win", kind=tarfile.SYMTYPE, link="..\\..\\x"), "leaves the archive"),
        (tar_member("a/c", kind=tarfile.SYMTYPE, link="C:\\x"), "is absolute"),
        (tar_member("hard", kind=tarfile.LNKTYPE, link="../outside"), "leaves the archive"),
        (tar_member("a/hard", kind=tarfile.LNKTYPE, link="/etc/shadow"), "is absolute"),
        (tar_member("empty", kind=tarfile.SYMTYPE, link=""), "is empty"),
    ],
)
def test_a_link_pointing_outside_is_refused(
    member: tarfile.TarInfo, problem: str, refused: Callable[..., UploadError]
) -> None:
    refused(make_tar([("ok.py", b"x"), member]), UnsafeLink, problem)


def test_zip_symlinks_are_skipped_inside_and_refused_outside(
    tmp_path: Path, refused: Callable[..., UploadError]
) -> None:
    inside = extract_archive(make_zip([("a.py", b"x"), zip_symlink("b.py", "a.py")]), "x.zip", tmp_path / "in", LIMITS)
    assert inside.skipped == (Skipped(PurePosixPath("b.py"), "symlink", "a.py"),)
    assert tree(tmp_path / "in") == {"a.py"}
    refused(make_zip([zip_symlink("etc", "../../../etc")]), UnsafeLink, "leaves the archive")


def test_nothing_is_written_through_a_skipped_link(refused: Callable[..., UploadError]) -> None:
    data = make_tar([tar_member("lib", kind=tarfile.SYMTYPE, link="vendor"), ("lib/evil.py", b"x")])
    refused(data, DuplicatePath, "which is a file in the upload")


def test_an_encrypted_zip_member_is_refused(refused: Callable[..., UploadError]) -> None:
    data = set_zip_field(make_zip([("secret.py", b"x" * 50)]), 6, 8, "<H", 0x1)  # general purpose flag: encrypted
    refused(data, EncryptedMember, "'secret.py' is encrypted")


# Uploaded files


def test_uploaded_files_are_written(dest: Path) -> None:
    result = write_files(PROJECT, dest, LIMITS)
    assert (result.format, result.files) == ("files", tuple(PurePosixPath(name) for name, _ in PROJECT))
    assert result.total_bytes == sum(len(content) for _, content in PROJECT)
    assert tree(dest) == {"README.md", "src", "src/app.py", "src/pkg", "src/pkg/util.py"}
    assert (dest / "src/pkg/util.py").read_bytes() == b""


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([("ok.py", b"x"), ("..\\evil.py", b"x")], UnsafePath),
        ([("ok.py", b"x"), ("/abs.py", b"x")], UnsafePath),
        ([("a.py", b"x"), ("a.py", b"y")], DuplicatePath),
        ([("a", b"x"), ("a/b.py", b"y")], DuplicatePath),
        ([(f"f{i}.py", b"x") for i in range(21)], TooManyFiles),
        ([("a.py", bytes(MIB)), ("b.py", b"x")], UnpackedTooLarge),
    ],
)
def test_uploaded_files_are_checked_before_anything_is_written(
    files: list[tuple[str, bytes]], error: type[UploadError], tmp_path: Path, dest: Path
) -> None:
    before = tree(tmp_path)
    with pytest.raises(error):
        write_files(files, dest, LIMITS)
    assert tree(tmp_path) == before
