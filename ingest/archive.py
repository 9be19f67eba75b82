"""A .zip of reports, as staff receive a batch: its members, each a file to read.

Nothing is trusted: the member count, each member's size as read (not as declared, a
zip can lie about it), the total inflated, names that climb out of the archive, nested
archives and encrypted members are all checked, and every refusal says why.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from ingest.errors import InputError
from ingest.loaders import SUPPORTED_SUFFIXES

MAX_MEMBERS = 100
MAX_TOTAL_BYTES = 200 * 1024 * 1024


@dataclass
class Member:
    name: str                 # the member's file name (no folders)
    data: bytes | None        # None: refused, with `error`
    error: str = ""


def _litter(part: str) -> bool:
    """Hidden files and macOS resource forks ("._x", "__MACOSX"); ".." is a path, not litter."""
    return part == "__MACOSX" or (part.startswith(".") and part not in (".", ".."))


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    with archive.open(info) as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"giải nén ra quá lớn (hơn {cap / 1_048_576:.0f} MB) / member inflates past the limit")
    return data


def zip_members(data: bytes, max_file_bytes: int) -> list[Member]:
    """The archive's files in order; a member that cannot be read is returned with its
    error (the others still go on). Raises InputError when the archive itself is bad."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InputError("Tệp .zip bị hỏng hoặc không đúng định dạng / invalid .zip file") from exc
    members: list[Member] = []
    with archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        files = [i for i in infos if not any(_litter(part) for part in PurePosixPath(i.filename).parts)]
        if not files:
            raise InputError("Tệp .zip không có tệp nào / empty .zip")
        if len(files) > MAX_MEMBERS:
            raise InputError(f"Tệp .zip có {len(files)} tệp, tối đa {MAX_MEMBERS} / too many files in the .zip")
        total = 0
        for info in files:
            name = PurePosixPath(info.filename.replace("\\", "/")).name
            suffix = PurePosixPath(name).suffix.lower()
            if suffix == ".zip":
                members.append(Member(name, None, "tệp .zip lồng trong .zip không được mở / nested archive"))
                continue
            if suffix not in SUPPORTED_SUFFIXES:
                members.append(Member(name, None, f"định dạng không hỗ trợ: {suffix or '(không có đuôi)'} / unsupported file type"))
                continue
            if info.flag_bits & 0x1:
                members.append(Member(name, None, "tệp được đặt mật khẩu / encrypted member"))
                continue
            if total >= MAX_TOTAL_BYTES:        # spent: nothing more is inflated, each one says so
                members.append(Member(name, None, f"tệp .zip giải nén ra quá {MAX_TOTAL_BYTES // 1_048_576} MB, "
                                                  "tệp này không được mở / archive total spent"))
                continue
            try:
                member = _read_capped(archive, info, min(max_file_bytes, MAX_TOTAL_BYTES - total))
            except InputError as exc:
                members.append(Member(name, None, str(exc)))
                if max_file_bytes > MAX_TOTAL_BYTES - total:
                    total = MAX_TOTAL_BYTES        # it failed on the total, not on its own size
                continue
            except (zipfile.BadZipFile, RuntimeError, OSError, EOFError, NotImplementedError) as exc:
                members.append(Member(name, None, f"không giải nén được ({exc.__class__.__name__}) / cannot inflate"))
                continue
            total += len(member)
            members.append(Member(name, member))
    return members
