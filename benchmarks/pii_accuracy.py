"""Accuracy and worst-case speed of gatekit's detectors on public labelled data.

1. ``scan`` on presidio-research's synthetic PII set (1,500 texts): span-level precision and
   recall per type. A predicted span is a true positive when it overlaps an unmatched gold span
   of the same type (``exact`` also requires identical boundaries, whitespace-trimmed). Reported on
   the whole set and on two halves: texts with an even index (the tuning split: errors were read
   there) and texts with an odd index (held out: only its totals were looked at).
2. libphonenumber's example numbers (1,138 valid numbers of 245 regions, 245 invalid look-alikes),
   each wrapped in a sentence: recall per written form (E.164, international, national, and ``tel:+1-415-555-2671`` as written) and
   the false-positive rate of the invalid look-alikes (any phone finding on them). National forms are
   read with the default regions only, so most regions' national numbers are out of reach by design.
3. The slowest detector on 100 KB hostile texts (runs of digits and separators, ``@``, dots, unicode
   digits, zero-width characters, repeated key headers): target 10 ms per detector.
4. Prompt-injection heuristics on deepset's prompt-injections test split (tuned on train only):
   recall and false-positive rate.

Run: ``python benchmarks/pii_accuracy.py`` (reads shared/data next to the repository).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gatekit.governance import scan  # noqa: E402
from gatekit.governance.detectors import DEFAULT_DETECTORS, PII_TYPES  # noqa: E402
from gatekit.governance.detectors.phone import DEFAULT_REGIONS  # noqa: E402
from gatekit.governance.injection import injection_score  # noqa: E402
from gatekit.governance.normalise import normalise  # noqa: E402

DATA = Path(os.environ.get("GATEKIT_SHARED_DATA") or ROOT.parent / "shared" / "data")
TARGETS = {
    "EMAIL_ADDRESS": (0.98, 0.99),
    "CREDIT_CARD": (0.98, 0.99),
    "US_SSN": (0.98, 0.99),
    "IP_ADDRESS": (0.98, 0.99),
    "IBAN_CODE": (0.98, 0.99),
    "PHONE_NUMBER": (0.95, 0.95),
}


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def score_pii(path: Path, verbose: bool = False, split: int | None = None) -> dict[str, dict[str, float]]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    if split is not None:
        rows = rows[split::2]
    stats = {t: {"tp": 0, "fp": 0, "fn": 0, "exact": 0, "gold": 0, "pred": 0} for t in PII_TYPES}
    errors: list[str] = []
    for row in rows:
        text = row["full_text"]
        gold = [
            (s["entity_type"], *_trim(text, s["start_position"], s["end_position"]))
            for s in row["spans"]
            if s["entity_type"] in stats
        ]
        predicted = [(f.type, f.start, f.end) for f in scan(text) if f.type in stats]
        used: set[int] = set()
        for kind, start, end in predicted:
            stats[kind]["pred"] += 1
            match = next(
                (
                    i
                    for i, (g_kind, g_start, g_end) in enumerate(gold)
                    if i not in used and g_kind == kind and start < g_end and g_start < end
                ),
                None,
            )
            if match is None:
                stats[kind]["fp"] += 1
                errors.append(f"FP {kind}: {text[start:end]!r} in {text[max(0, start - 30) : end + 30]!r}")
                continue
            used.add(match)
            stats[kind]["tp"] += 1
            if (start, end) == gold[match][1:]:
                stats[kind]["exact"] += 1
        for i, (kind, start, end) in enumerate(gold):
            stats[kind]["gold"] += 1
            if i not in used:
                stats[kind]["fn"] += 1
                errors.append(f"FN {kind}: {text[start:end]!r}")
    if verbose:
        print("\n".join(errors))
    out = {}
    for kind, s in stats.items():
        precision = s["tp"] / (s["tp"] + s["fp"]) if s["tp"] + s["fp"] else 1.0
        recall = s["tp"] / (s["tp"] + s["fn"]) if s["tp"] + s["fn"] else 1.0
        out[kind] = {
            "precision": precision,
            "recall": recall,
            "exact_match_rate": s["exact"] / s["tp"] if s["tp"] else 0.0,
            "gold": s["gold"],
            "predicted": s["pred"],
        }
    return out


def score_injection(path: Path) -> dict[str, float]:
    import pandas as pd

    frame = pd.read_parquet(path)
    tp = fp = fn = tn = 0
    for text, label in zip(frame["text"], frame["label"], strict=True):
        flagged = injection_score(str(text)).flagged()
        if label == 1:
            tp += flagged
            fn += not flagged
        else:
            fp += flagged
            tn += not flagged
    return {
        "recall": tp / (tp + fn),
        "false_positive_rate": fp / (fp + tn),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "positives": tp + fn,
        "negatives": fp + tn,
    }


def score_phone_examples(path: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    valid = [row for row in rows if row["is_valid"]]
    invalid = [row for row in rows if not row["is_valid"]]
    recall: dict[str, float] = {}
    for form in ("e164", "international", "national", "rfc3966"):
        hits = 0
        for row in valid:
            value = row[form]  # (the RFC 3966 form as written, "tel:+1-415-555-2671": the number after "tel:" is found)
            text = f"You can reach the office at {value} during the week."
            number = value.removeprefix("tel:")
            hits += any(f.type == "PHONE_NUMBER" and number in f.value for f in scan(text))
        recall[form] = hits / len(valid)
    false_positives = 0
    for row in invalid:
        for form in ("e164", "international", "national"):
            text = f"You can reach the office at {row[form]} during the week."
            false_positives += any(f.type == "PHONE_NUMBER" for f in scan(text))
    return {
        "recall": recall,
        "valid": len(valid),
        "invalid": len(invalid),
        "fp_rate": false_positives / (3 * len(invalid)),
    }


HOSTILE_UNITS = [
    "1", "1 ", "1-", "1.", "12 ", "1234 ", "(12) ", "+1 ", "1xxxx", "@", "a@", "@a.", "a.b@c.", "\u0663", "\u200b",
    "1\u200b", "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----\n", "AKIA", "eyJ", "eyJaaaaaaaaa.",
    "password=", "token ", "Bearer ", "sk-", "ghp_", "xoxb-", "GB82 ", "::", "1:", "1.1.1.", "=", ":", "\uff46",
    "4111 1111 1111 1111 ", "+44 20 7946 0958 ", "x@a.bc ",
]  # fmt: skip


def worst_case_times() -> tuple[list[tuple[float, str, str]], list[tuple[float, str]]]:
    """Per detector its slowest hostile 100 KB text (best of 3 runs); whole scans incl. normalisation."""
    worst: dict[str, tuple[float, str]] = {}
    scans: list[tuple[float, str]] = []
    for unit in HOSTILE_UNITS:
        text = (unit * (100_000 // len(unit) + 1))[:100_000]
        subject = normalise(text).text
        for detector in DEFAULT_DETECTORS:
            name = f"{detector.type}/{type(detector).__name__}"
            best = 1e9
            for _ in range(3):
                started = time.perf_counter()
                detector.findings(subject)
                best = min(best, time.perf_counter() - started)
            if best > worst.get(name, (0.0, ""))[0]:
                worst[name] = (best, unit)
        best = 1e9
        for _ in range(2):
            started = time.perf_counter()
            scan(text)
            best = min(best, time.perf_counter() - started)
        scans.append((best, unit))
    ranked = sorted(((seconds, name, unit) for name, (seconds, unit) in worst.items()), reverse=True)
    return ranked, sorted(scans, reverse=True)


def _print_pii(title: str, pii: dict[str, dict[str, float]]) -> bool:
    print(title)
    print(f"{'type':<15}{'gold':>6}{'pred':>6}{'precision':>11}{'recall':>9}{'exact':>8}  target (P, R)")
    failed = False
    for kind, s in pii.items():
        p_target, r_target = TARGETS[kind]
        ok = s["precision"] >= p_target and s["recall"] >= r_target
        failed |= not ok
        print(
            f"{kind:<15}{s['gold']:>6}{s['predicted']:>6}{s['precision']:>11.3f}{s['recall']:>9.3f}"
            f"{s['exact_match_rate']:>8.3f}  >= {p_target}, {r_target} {'ok' if ok else 'MISSED'}"
        )
    print()
    return failed


def main() -> int:
    verbose = "-v" in sys.argv
    synth = DATA / "presidio-synth" / "synth_dataset_v2.json"
    failed = _print_pii(
        "PII detection on presidio-research synth_dataset_v2.json (1,500 texts), span overlap matching",
        score_pii(synth, verbose=verbose),
    )
    _print_pii("  tuning split (even-indexed texts, 750)", score_pii(synth, split=0))
    failed |= _print_pii("  held-out split (odd-indexed texts, 750)", score_pii(synth, split=1))

    phones = score_phone_examples(DATA / "libphonenumber" / "phone_examples.jsonl")
    recall = phones["recall"]
    print(
        f"libphonenumber examples in sentences ({phones['valid']} valid numbers, 245 regions; default regions "
        f"{', '.join(DEFAULT_REGIONS)}):"
    )
    print(
        f"  recall: E.164 {recall['e164']:.3f}, international {recall['international']:.3f}, "
        f"tel: {recall['rfc3966']:.3f}, national {recall['national']:.3f} (national: default regions only)"
    )
    print(f"  invalid look-alikes ({phones['invalid']} numbers x 3 forms): false-positive rate {phones['fp_rate']:.3f}")
    ok = recall["e164"] >= 0.95 and recall["international"] >= 0.95
    failed |= not ok
    print(f"  target: E.164 and international recall >= 0.95 {'ok' if ok else 'MISSED'}")
    print()

    ranked, scans = worst_case_times()
    print("slowest detectors on 100 KB hostile texts (best of 3; target 10 ms):")
    for seconds, name, unit in ranked[:6]:
        print(f"  {name:<34}{seconds * 1000:>8.2f} ms  on {unit!r} repeated")
    print("slowest whole scans (normalisation, every detector, overlap resolution):")
    for seconds, unit in scans[:4]:
        print(f"  {seconds * 1000:>8.2f} ms  on {unit!r} repeated")
    print()

    for split in ("train", "test"):
        inj = score_injection(DATA / "prompt-injection" / f"deepset_{split}.parquet")
        note = "(tuning split)" if split == "train" else "(held out)"
        print(
            f"prompt-injection heuristics, deepset {split} {note}: recall {inj['recall']:.3f}, "
            f"false-positive rate {inj['false_positive_rate']:.3f}, precision {inj['precision']:.3f} "
            f"({inj['positives']} injections, {inj['negatives']} benign)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
