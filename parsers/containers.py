"""Guards for zip-based office files (xlsx, docx) before any library opens them.

openpyxl and python-docx inflate parts into memory and parse XML: a zip bomb or an XML
part with a DOCTYPE/ENTITY declaration (billion laughs, external entities) must be
refused first, with a specific problem code.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from .grid import ReadFailure

MAX_TOTAL_UNCOMPRESSED = 100 * 1024 * 1024
MAX_MEMBER_UNCOMPRESSED = 50 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_RATIO = 200  # uncompressed / compressed for a single large member
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
_DTD16 = re.compile("<!(DOCTYPE|ENTITY)".encode("utf-16-le"), re.I)


def check_zip(
    data: bytes, max_total: int = MAX_TOTAL_UNCOMPRESSED, max_member: int = MAX_MEMBER_UNCOMPRESSED
) -> None:
    """Raise ReadFailure (truncated, corrupt_file, too_large, xml_entities) or return if safe."""
    if b"PK\x05\x06" not in data[-66000:]:
        raise ReadFailure(
            "truncated", "zip container has no end-of-central-directory record (truncated download?)"
        )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadFailure("corrupt_file", f"damaged zip container: {exc}") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ReadFailure("too_large", f"zip container has {len(infos)} members")
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > max_member:
                raise ReadFailure("too_large", f"member {info.filename} inflates to {info.file_size} bytes")
            if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise ReadFailure(
                    "too_large", f"member {info.filename} has a compression ratio typical of a zip bomb"
                )
            if total > max_total:
                raise ReadFailure("too_large", f"zip container inflates to more than {max_total} bytes")
        for info in infos:
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with zf.open(info) as fh:
                    chunk = fh.read(min(info.file_size, max_member) + 1)
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                ValueError,
                NotImplementedError,
                RuntimeError,
                zlib.error,
            ) as exc:
                raise ReadFailure("corrupt_file", f"cannot inflate {info.filename}: {exc}") from exc
            if len(chunk) > max_member:
                raise ReadFailure("too_large", f"member {info.filename} inflates past its declared size")
            if _DTD.search(chunk) or _DTD16.search(chunk):
                raise ReadFailure(
                    "xml_entities",
                    f"{info.filename} declares a DOCTYPE/ENTITY (refused: entity expansion risk)",
                )
