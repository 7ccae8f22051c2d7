"""Accuracy of gatekit's detectors on public labelled data.

1. ``scan`` on presidio-research's synthetic PII set (1,500 texts): span-level precision and
   recall per type. A predicted span is a true positive when it overlaps an unmatched gold span
   of the same type (``exact`` also requires identical boundaries, whitespace-trimmed).
2. Prompt-injection heuristics on deepset's prompt-injections test split (tuned on train only):
   recall and false-positive rate.

Run: ``python benchmarks/pii_accuracy.py`` (reads ../shared/data).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gatekit.governance import scan  # noqa: E402
from gatekit.governance.detectors import PII_TYPES  # noqa: E402
from gatekit.governance.injection import injection_score  # noqa: E402

DATA = next((p / "shared" / "data" for p in ROOT.parents if (p / "shared" / "data").is_dir()), ROOT.parent / "shared" / "data")
TARGETS = {
    "EMAIL_ADDRESS": (0.98, 0.99),
    "CREDIT_CARD": (0.98, 0.99),
    "US_SSN": (0.98, 0.99),
    "IP_ADDRESS": (0.98, 0.99),
    "IBAN_CODE": (0.98, 0.99),
    "PHONE_NUMBER": (0.85, 0.85),
}


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def score_pii(path: Path, verbose: bool = False) -> dict[str, dict[str, float]]:
    rows = json.loads(path.read_text(encoding="utf-8"))
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


def main() -> int:
    verbose = "-v" in sys.argv
    pii = score_pii(DATA / "presidio-synth" / "synth_dataset_v2.json", verbose=verbose)
    print("PII detection on presidio-research synth_dataset_v2.json (1,500 texts), span overlap matching")
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
