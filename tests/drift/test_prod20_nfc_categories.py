"""prod20: a category written in NFC ("café" composed) and in NFD ("cafe" + a combining accent) is one category.

Two logs of the same traffic, one written by a client that sends decomposed text (a macOS file name, some
browsers' input), gave drift's chi-square two categories per accented name: p ~ 1e-79 where the same rows in NFC
gave 0.66, on a list feature (``tool_names``) as on a single one (``role``). Both engines now read category text in
NFC (DuckDB ``nfc_normalize``, Spark ICU's ``Normalizer``): the same p-value whichever form the production log uses,
on DuckDB and on Spark. Real JSON Lines and CSV files, real DuckDB, a real local Spark session.
"""

from __future__ import annotations

import csv
import json
import random
import unicodedata
from pathlib import Path
from typing import Any

from gatekit.drift.core import compute_drift, drift_config

ROLES = ["café", "admin", "naïve", "user"]
TOOLS = ["résumé", "search", "crème"]


def _rows(n: int, seed: int, form: str) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        tools = [unicodedata.normalize(form, rng.choice(TOOLS)) for _ in range(rng.randint(0, 2))]
        out.append(
            {
                "schema_version": 1,
                "timestamp": f"2026-03-01T12:{i // 60 % 60:02d}:{i % 60:02d}Z",
                "request_id": f"r{i}",
                "role": unicodedata.normalize(form, rng.choice(ROLES)),
                "tool_names": tools,
                "latency_ms": 100.0 + i % 7,
            }
        )
    return out


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    if path.suffix == ".csv":  # a list in a CSV cell is JSON text
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**r, "tool_names": json.dumps(r["tool_names"], ensure_ascii=False)} for r in rows)
        return path
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _features(reference: Path, production: Path, engine: str) -> dict[str, dict[str, Any]]:
    cfg = drift_config(
        reference=reference, production=production, categorical=["context.role", "tool_names"], engine=engine
    )
    return {f["name"]: f for f in compute_drift(cfg).report["features"]}


def _names(feature: dict[str, Any]) -> set[str]:
    return {row["category"] for row in feature["plot"]["categories"]} | set(feature["new_categories"])


def test_drift_gives_the_same_p_value_for_a_log_in_nfc_or_nfd(tmp_path: Path, spark: Any) -> None:
    reference = _write(tmp_path / "ref.jsonl", _rows(400, 1, "NFC"))
    got: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
    for fmt in ("jsonl", "csv"):
        for form in ("NFC", "NFD"):
            production = _write(tmp_path / f"prod-{form}.{fmt}", _rows(400, 2, form))
            assert (form == "NFD") == ("e\u0301" in production.read_text(encoding="utf-8"))  # really decomposed
            for engine in ("duckdb", "spark"):
                got[fmt, form, engine] = _features(reference, production, engine)
    want = got["jsonl", "NFC", "duckdb"]
    assert want["context.role"]["p_value"] > 0.05 and want["tool_names"]["p_value"] > 0.05  # the same traffic
    for key, features in got.items():
        for name in ("context.role", "tool_names"):
            assert features[name]["p_value"] == want[name]["p_value"], (key, name)
            assert features[name]["new_categories_count"] == 0, (key, name)  # no "new" decomposed twin
            assert _names(features[name]) <= {*ROLES, *TOOLS, "(other)"}, (key, _names(features[name]))
