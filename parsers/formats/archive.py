"""Zip archives of attachments (offices publish "附件.zip"): members are parsed one by one."""

from __future__ import annotations

import io
import zipfile
import zlib

from ..containers import MAX_MEMBER_UNCOMPRESSED, MAX_TOTAL_UNCOMPRESSED
from ..grid import ReadFailure

MAX_MEMBERS = 50


def _member_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def unpack_zip(data: bytes) -> list[tuple[str, bytes]]:
    """(name, bytes) of each file member, refusing bombs and encrypted members."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadFailure("corrupt_file", f"damaged zip archive: {exc}") from exc
    out: list[tuple[str, bytes]] = []
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
        if len(infos) > MAX_MEMBERS:
            raise ReadFailure("too_large", f"zip archive holds {len(infos)} files")
        if sum(i.file_size for i in infos) > MAX_TOTAL_UNCOMPRESSED:
            raise ReadFailure("too_large", "zip archive inflates past the size cap")
        for info in infos:
            if info.flag_bits & 0x1:
                raise ReadFailure("encrypted", f"zip member {_member_name(info)} is password-protected")
            if info.file_size > MAX_MEMBER_UNCOMPRESSED:
                raise ReadFailure("too_large", f"zip member {_member_name(info)} is too large")
            try:
                with zf.open(info) as fh:
                    content = fh.read(MAX_MEMBER_UNCOMPRESSED + 1)
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                NotImplementedError,
                RuntimeError,
                zlib.error,
            ) as exc:
                raise ReadFailure("corrupt_file", f"cannot inflate {_member_name(info)}: {exc}") from exc
            if len(content) > MAX_MEMBER_UNCOMPRESSED:
                raise ReadFailure(
                    "too_large", f"zip member {_member_name(info)} inflates past its declared size"
                )
            out.append((_member_name(info), content))
    return out
