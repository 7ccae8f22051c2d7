"""Train gatekit's prompt-injection models and write gatekit/governance/injection_model.json.gz.

Reproducible: the data splits are fixed by ``injection_data.SEED`` and the solver (lbfgs) is
deterministic, so the same data gives the same file byte for byte (gzip without a timestamp, keys
sorted, weights rounded to 4 decimals). scikit-learn is needed here only (the ``dev`` extra); gatekit
scores with the plain-Python ``Model`` in gatekit/governance/injection.py.

The ``tool_output`` model learns from the pieces ``segments()`` cuts a tool output into, as it scores
them: a positive tool output's injected piece is the one no benign tool output of the same carriers
contains; its other pieces (names, dates, product descriptions) are negatives.

Run: ``python benchmarks/train_injection.py`` (a few seconds); ``--out PATH`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from injection_data import SEED, build  # noqa: E402

from gatekit.governance.injection import FORMAT, WEIGHTS_FILE, features, segments  # noqa: E402

# regularisation (inverse strength) per model and the minimum number of training texts a feature needs
C = {"input": 1.0, "tool_output": 0.5}
MIN_DF = 2


def tool_examples(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Segment-level examples from whole tool outputs (see the module docstring)."""
    benign = {piece for text, label in rows if label == 0 for piece in segments(text)}
    out: dict[str, int] = {piece: 0 for piece in benign}
    for text, label in rows:
        if label == 1:
            for piece in segments(text):
                if piece not in benign:
                    out[piece] = 1
    return sorted(out.items())


def fit(rows: list[tuple[str, int]], c: float) -> dict[str, object]:
    """One logistic regression over binary ``features``; returns the bias and non-zero weights."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(analyzer=features, binary=True, min_df=MIN_DF)
    matrix = vectorizer.fit_transform([text for text, _ in rows])
    labels = [label for _, label in rows]
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=SEED)
    model.fit(matrix, labels)
    names = vectorizer.get_feature_names_out()
    weights = {str(name): round(float(w), 4) for name, w in zip(names, model.coef_[0], strict=True)}
    return {
        "bias": round(float(model.intercept_[0]), 4),
        "weights": {k: v for k, v in sorted(weights.items()) if v != 0.0},
        "examples": len(rows),
        "positives": sum(labels),
    }


def train() -> bytes:
    """The weights file's bytes."""
    inputs, tools = build(SEED)
    payload = {
        "format": FORMAT,
        "seed": SEED,
        "trained_by": "benchmarks/train_injection.py",
        "models": {
            "input": fit(inputs.train, C["input"]),
            "tool_output": fit(tool_examples(tools.train), C["tool_output"]),
        },
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args()
    started = time.perf_counter()
    data = train()
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1024:.0f} KiB) in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
