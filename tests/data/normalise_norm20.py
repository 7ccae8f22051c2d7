"""The texts of round norm20's differential test of normalisation, and the outputs main gave for them.

``texts(shared_data)`` builds them: presidio-research's synthetic PII texts as they are, the same with zero-width
characters, soft hyphens, no-break spaces, full-width characters, other digits, look-alike letters, combining marks and
escapes inserted at random places, and longer texts (several presidio texts joined) flooded with such characters, so
that every path of ``normalise`` (per-character spots, the map of many deleted characters, the escapes' map) is met.

Run against a tree to record what it gives (``normalise_norm20.json.gz``, next to this script), written from main
(commit 795051d) before round norm20 changed the normaliser:

    PYTHONPATH=/work/main python tests/data/normalise_norm20.py /work/shared/data

Each record: the digest of the text, of its normal form and of its offset maps (detectors', then a terms list's), and
the findings of ``scan`` (type, start, end: the spans redaction replaces).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

OUTPUT = Path(__file__).with_name("normalise_norm20.json.gz")

_INSERTED = (
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u00a0", "\u202f", "\u2013", "\u2212"]
    + ["\u0661", "\u06f5", "\u0967", "\ufb01", "\u2460", "\u0301", "\u0430", "\u0435", "\u043e", "\u0455"]
    + ["%40", "%2B", "%20", "\\u0040", "\\n", "&#64;", "&nbsp;", "**", " - "]
)


def _full_width(char: str) -> str:
    if len(char) != 1:  # (an inserted escape)
        return char
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else "\u3000" if char == " " else char


def _sprinkled(text: str, rng: random.Random, count: int, inserted: list[str]) -> str:
    """``text`` with ``count`` of ``inserted`` at random places, and a few of its characters made full-width."""
    chars = list(text)
    for _ in range(count):
        chars.insert(rng.randrange(len(chars) + 1), rng.choice(inserted))
    for _ in range(rng.randint(0, 8)):
        at = rng.randrange(len(chars))
        chars[at] = _full_width(chars[at])
    return "".join(chars)


def texts(shared_data: Path) -> list[str]:
    records = json.loads((shared_data / "presidio-synth" / "synth_dataset_v2.json").read_text(encoding="utf-8"))
    plain = [record["full_text"] for record in records]
    rng = random.Random(20)
    out = list(plain)
    for text in plain:  # (a few characters each, of one to four kinds)
        kinds = rng.sample(_INSERTED, rng.randint(1, 4))
        out.append(_sprinkled(text, rng, rng.randint(1, 12), kinds))
    for _ in range(60):  # (floods: between most characters of several texts joined)
        joined = " ".join(rng.sample(plain, rng.randint(10, 40)))
        kinds = rng.sample(_INSERTED[:12], rng.randint(1, 3))
        out.append(_sprinkled(joined, rng, len(joined) // rng.choice((1, 2, 5)), kinds))
    for _ in range(30):  # (escapes and deleted characters together)
        joined = " ".join(rng.sample(plain, rng.randint(10, 40)))
        kinds = rng.sample(_INSERTED[:5] + _INSERTED[20:26], rng.randint(2, 4))
        out.append(_sprinkled(joined, rng, len(joined) // rng.choice((2, 5, 40)), kinds))
    return out


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False).encode()).hexdigest()[:16]


def _at(offset_of: Callable[[int], int], at: int) -> int | None:
    """``offset_of(at)``; None where it fails (main: the end of a text whose last character NFKC makes two, after an
    escape, e.g. ``&nbsp;`` ... ``\ufb01``, raised IndexError)."""
    try:
        return offset_of(at)
    except IndexError:
        return None


def record(text: str) -> list[object]:
    """What the normaliser and the scanner of the tree imported give for ``text``."""
    from gatekit.governance.detectors import scan
    from gatekit.governance.normalise import normalise

    maps = []
    for terms in (False, True):
        normal = normalise(text, confusables=terms)
        ends = range(len(normal.text) + 1)
        maps.append(_digest(normal.text))
        maps.append(_digest([[_at(normal.start, at) for at in ends], [_at(normal.end, at) for at in ends]]))
    findings = [[finding.type, finding.start, finding.end] for finding in scan(text)]
    return [_digest(text), *maps, findings]


def main() -> None:
    records = [record(text) for text in texts(Path(sys.argv[1]))]
    OUTPUT.write_bytes(gzip.compress(json.dumps(records, separators=(",", ":")).encode(), mtime=0))
    print(f"{len(records)} records -> {OUTPUT}")


if __name__ == "__main__":
    main()
