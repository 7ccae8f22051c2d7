"""False findings and misses per type of the default scanner on a hand-written DLP set (tests/data/dlp*.json).

A negative's every finding is a false finding (counted under its type); a positive's expected value is missed when
no finding of its type (any secret's, for a type of null) covers its span; a finding on a positive that overlaps no
expected value is a false finding too. Contested positives (with a "note") are listed, not scored.

Run: ``python benchmarks/dlp_sets.py [tests/data/dlp21.json ...] [-v]`` (default: dlp21; ``-v`` prints each error).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gatekit.governance.detectors import scan  # noqa: E402


def _covers(finding: Any, expected: dict[str, Any]) -> bool:
    kind = expected["type"]
    return (
        finding.start <= expected["start"]
        and finding.end >= expected["end"]
        and (finding.type == kind if kind else finding.is_secret)
    )


def score(path: Path, verbose: bool = False) -> tuple[Counter[str], Counter[str], int, int]:
    """(false findings by type, misses by type, negatives flagged, values scored) of one set."""
    corpus = json.loads(path.read_text(encoding="utf-8"))
    false: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    flagged = 0
    for text in corpus["negatives"]:
        found = scan(text)
        flagged += bool(found)
        for f in found:
            false[f.type] += 1
            if verbose:
                print(f"FALSE {f.type:15} {f.value!r:40} in {text[:90]!r}")
    values = 0
    for case in corpus["positives"]:
        found = scan(case["text"])
        if "note" in case:
            if verbose:
                got = [(f.type, f.value) for f in found]
                print(f"CONTESTED {case['text'][:60]!r}: {got}")
            continue
        for expected in case["expect"]:
            values += 1
            if not any(_covers(f, expected) for f in found):
                missed[expected["type"] or "secret"] += 1
                if verbose:
                    near = [(f.type, f.value) for f in found if f.start < expected["end"] and f.end > expected["start"]]
                    print(
                        f"MISS  {expected['type']!s:15} {expected['value']!r:40} found {near} in {case['text'][:80]!r}"
                    )
        for f in found:
            if not any(f.start < e["end"] and f.end > e["start"] for e in case["expect"]):
                false[f.type] += 1
                if verbose:
                    print(f"EXTRA {f.type:15} {f.value!r:40} in {case['text'][:90]!r}")
    return false, missed, flagged, values


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    paths = [Path(arg) for arg in argv if arg != "-v"] or [ROOT / "tests" / "data" / "dlp21.json"]
    for path in paths:
        false, missed, flagged, values = score(path, verbose)
        negatives = len(json.loads(path.read_text(encoding="utf-8"))["negatives"])
        print(
            f"{path.name}: {flagged} of {negatives} negatives flagged; {sum(missed.values())} of {values} values missed"
        )
        print(f"  {'type':16} {'false findings':>15} {'misses':>7}")
        for kind in sorted(set(false) | set(missed)):
            print(f"  {kind:16} {false[kind]:>15} {missed[kind]:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
