"""Round speed15's shortcuts give what the code before them gave (each is a speed-up, no change of a finding).

The references are the round's starting code (a table column's header) or the same code with the shortcut turned off
(the phone shape's E.164 field, read after a sign only), run on seeded random texts of the characters they read.
"""

from __future__ import annotations

import random
import re

import pytest

from gatekit.governance.detectors import base, phone
from gatekit.governance.detectors.base import TABLE_DELIMITERS

_STRIP = " \t\r\"'`*"


def _sql_column_reference(text: str, line_start: int, start: int) -> str | None:
    low = start - 2000 if start > 2000 else 0
    if text.rfind("(", low, start) == -1:
        return None
    values = max(text.rfind("VALUES", low, start), text.rfind("values", low, start), text.rfind("Values", low, start))
    if values == -1:
        return None
    before = text[low:start]
    values -= low
    row = before.rfind("(")
    names_end = before.rfind(")", 0, values)
    names_start = before.rfind("(", 0, names_end)
    if row < values or names_end == -1 or names_start == -1 or before[names_end + 1 : values].strip():
        return None
    column = 0
    quote = ""
    for char in before[row + 1 :]:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ",":
            column += 1
    names = before[names_start + 1 : names_end].split(",")
    return names[column].strip(_STRIP).lower() if column < len(names) else ""


def _column_header_reference(text: str, start: int, end: int) -> str:
    """column_header as it was before the round: no shortcut for the first line nor for a text without VALUES."""
    reach = start - 4096 if start > 4096 else 0
    line_start = text.rfind("\n", reach, start) + 1 or reach
    line_end = text.find("\n", end, end + 4096)
    if line_end == -1:
        line_end = min(len(text), end + 4096)
    header = _sql_column_reference(text, line_start, start)
    if header is not None:
        return header
    for delimiter in TABLE_DELIMITERS:
        if text.find(delimiter, line_start, line_end) != -1:
            break
    else:
        return ""
    count = text.count(delimiter, line_start, line_end)
    top = line_start
    for _ in range(50):
        if top == 0:
            break
        reach = top - 1 - 4096 if top > 4096 else 0
        above = text.rfind("\n", reach, top - 1) + 1
        if (not above and reach) or text.count(delimiter, above, top - 1) != count:
            break
        top = above
    if top == line_start:
        return ""
    cells = text[top : text.find("\n", top, line_start)].split(delimiter)
    column = text.count(delimiter, line_start, start)
    return cells[column].strip(_STRIP).lower() if column < len(cells) else ""


_PIECES = ["version", "Version", "build", "name", "ip", "|", ",", ";", "\t", "\n", " ", "(", ")", "'", '"', "VALUES"]
_PIECES += ["values", "Values", "vALUES", "alues", "INSERT INTO t ", "10.0.0.1", "1.2.3.4", "---", "a", "x"]


def test_column_header_equals_its_reference_on_random_tables() -> None:
    rng = random.Random(15)
    headers = 0
    for _ in range(6000):
        text = "".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40)))
        for match in re.finditer(r"\d+\.\d+\.\d+\.\d+", text):
            expected = _column_header_reference(text, match.start(), match.end())
            assert base.column_header(text, match.start(), match.end()) == expected, (text, match.start())
            headers += bool(expected)
    assert headers > 200  # (tables and INSERTs with a header were met, not only texts without one)


def test_e164_field_read_after_its_sign_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """_shape with the sign searched first equals _shape reading the field's names wherever (the sign is their end)."""
    rng = random.Random(16)
    names = ["msisdn", "wa_id", "phone", "Mobile", "TEL", "whatsapp", "sms", "fax", "phone_number", "cellPhone", "id"]
    signs = [":", "=", ": ", " = ", ":\t", "", " ", "-", "=>", ':  "', "='", '": "', ":    "]
    values: list[tuple[str, str, int]] = []
    for _ in range(4000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(10, 16)))
        text = rng.choice(["", "x ", '{"', "a" * rng.randint(0, 70)]) + rng.choice(names) + rng.choice(signs)
        text = (text + rng.choice(["", '"', "'"]))[-rng.randint(1, 80) :] + digits + rng.choice(["", '"', " ok"])
        values.append((digits, text, text.index(digits) + len(digits)))
    shortcut = [phone._shape(value, text, end) for value, text, end in values]
    monkeypatch.setattr(phone, "_E164_SIGN", re.compile(""))  # (a search that always finds: the names read always)
    assert [phone._shape(value, text, end) for value, text, end in values] == shortcut
    assert sum(1 for shape in shortcut if shape is not None and shape[0].startswith("+")) > 200
