"""The combining-mark class normalisation builds on first use covers every mark of every plane.

``normalise._marks`` reads only the planes that hold marks (a quarter of a second saved on a first decision); this
checks, against ``unicodedata`` over all 1.1 M code points, that no mark lies outside them in this Python's Unicode.
"""

from __future__ import annotations

import unicodedata

from gatekit.governance import normalise


def test_every_combining_mark_lies_in_the_planes_read() -> None:
    outside = [
        code
        for code in range(0x110000)
        if unicodedata.category(chr(code)) in ("Mn", "Me")
        and not any(start <= code < stop for start, stop in normalise.MARK_PLANES)
    ]
    assert outside == [], [hex(code) for code in outside[:10]]


def test_the_class_equals_one_built_from_every_code_point() -> None:
    assert normalise._marks() == normalise._marks(((0x300, 0x110000),))
