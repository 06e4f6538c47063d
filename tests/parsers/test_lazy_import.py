"""`import parsers` must stay cheap: the format readers load only when a file is parsed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("openpyxl", "pdfplumber", "pdfminer", "docx", "bs4", "xlrd", "parsers.formats")


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(','.join(sorted(m for m in sys.modules if m.startswith({HEAVY!r}))))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=Path(__file__).parent
    )
    return [m for m in out.stdout.strip().split(",") if m]


@pytest.mark.parametrize(
    "code",
    [
        "import parsers",
        "from rules import is_electrician_related, normalise_level",
        "import parsers.rows",
        "import parsers.document",
        "from parsers import parse_document, PARSER_VERSION, DocumentInput",
    ],
)
def test_import_does_not_load_the_format_readers(code: str) -> None:
    assert _loaded_after(code) == []


def test_lazy_names_resolve_to_the_submodule_objects() -> None:
    import parsers
    from parsers import decoding, document, rows

    assert parsers.parse_document is document.parse_document
    assert parsers.decode_html is decoding.decode_html
    assert parsers.DocumentInput is rows.DocumentInput
    assert set(parsers.__all__) <= set(dir(parsers))
    for name in parsers.__all__:
        assert getattr(parsers, name) is not None
    with pytest.raises(AttributeError):
        _ = parsers.no_such_name  # type: ignore[attr-defined]


def test_parsing_a_file_loads_its_reader_on_demand() -> None:
    loaded = _loaded_after(
        "from pw_parser_builders import POINTS_ROWS, xlsx_bytes\n"
        "from parsers import Attachment, DocumentInput, parse_document\n"
        "r = parse_document(DocumentInput(url='u', attachments=(Attachment('u/a.xlsx', 'a.xlsx', "
        "xlsx_bytes({'s': POINTS_ROWS})),)))\n"
        "assert r.rows, r.problems"
    )
    assert "parsers.formats.xlsx" in loaded and "pdfplumber" not in loaded
