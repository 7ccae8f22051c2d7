"""A rules file's variant names holding a credential or personal data are refused at load (exit 2, never quoted).

Production rows are written with such a value scrubbed (gatekit.redact), so the name would match no row, and it is
shown in canary.json, the report and MLflow.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from canary.traffic import traffic, write_jsonl
from gatekit.canary.rules import load_rules
from gatekit.cli import app
from gatekit.errors import ConfigError

KEY = "sk-live-4eC39HqLyjWDarjtT1zdp7dc"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (f"canary: {KEY}\n", ":1: canary:"),
        ("baseline: v1\ncanary: 078-05-1120\n", ":2: canary:"),
        (f"rollback:\n  - {{metric: error_rate, threshold: 0.05, variant: {KEY}}}\n", ":2: rollback.0.variant:"),
    ],
)
def test_a_variant_name_with_a_secret_or_pii_is_refused_naming_the_line(tmp_path: Path, body: str, where: str) -> None:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(body)
    with pytest.raises(ConfigError) as caught:
        load_rules(rules)
    message = str(caught.value)
    assert where in message and "variant name holds" in message
    assert KEY not in message and "078-05-1120" not in message
    logs = write_jsonl(tmp_path / "rows.jsonl", traffic(5))
    result = CliRunner().invoke(app, ["canary", "--logs", str(logs), "--rules", str(rules), "--no-mlflow"])
    assert result.exit_code == 2, result.output
    assert KEY not in result.output and "Traceback" not in result.output


def test_plain_variant_names_still_load(tmp_path: Path) -> None:
    rules = tmp_path / "rollout.yaml"
    rules.write_text("baseline: v1.4.2\ncanary: v2-blue\nrollback:\n  - {metric: error_rate, threshold: 0.05, variant: v1.4.2}\n")
    loaded = load_rules(rules)
    assert (loaded.baseline, loaded.canary, loaded.rollback[0].variant) == ("v1.4.2", "v2-blue", "v1.4.2")


