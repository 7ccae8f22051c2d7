"""``gatekit.redact``: candidate specs as shown/stored, scrub-then-cut, the configured host kept readable."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import TESTS_DIR
from spine_project import make_project, run_cli

from gatekit.agents.base import Agent
from gatekit.models import AgentResponse, Case
from gatekit.redact import display_spec, redact_url, scrub, scrub_cut, scrub_tail, spec_identity
from gatekit.replay import ReplaySettings, run_case

AWS = "AKIAIOSFODNN7EXAMPLE"
SPEC = "http://admin:s3cretpass@10.1.2.3:4000/v1/chat/completions?token=t0k3nVALUE&Api-Key=k3y&model=gpt&sig=abc#access_token=zz"


def test_display_spec_drops_user_info_and_secret_query_values_but_keeps_the_endpoint() -> None:
    shown = display_spec(SPEC)
    assert (
        shown == "http://***@10.1.2.3:4000/v1/chat/completions?token=***&Api-Key=***&model=gpt&sig=***#access_token=***"
    )
    for raw in ("admin", "s3cretpass", "t0k3nVALUE", "k3y", "abc", "zz"):
        assert raw not in shown


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("python:examples.demo_agent:run", "python:examples.demo_agent:run"),
        ("models:/support.agent@champion", "models:/support.agent@champion"),  # an alias, not user-info
        ("runs:/0123abcd/model", "runs:/0123abcd/model"),
        ("https://api.example.com/v1", "https://api.example.com/v1"),
        (f"cmd:python agent.py --key {AWS}", "cmd:python agent.py --key [AWS_ACCESS_KEY]"),
        ("cmd:python agent.py --url http://u:p@h/x", "cmd:python agent.py --url http://***@h/x"),
        ("http://[::1]:8080/v1?password=pw", "http://[::1]:8080/v1?password=***"),
    ],
)
def test_display_spec_of_every_kind(spec: str, shown: str) -> None:
    assert display_spec(spec) == shown


def test_redact_url_without_credentials_is_unchanged() -> None:
    url = "http://127.0.0.1:4000/v1/chat/completions?model=x&temperature=0"
    assert redact_url(url) == url


def test_spec_identity_compares_the_full_spec_without_storing_it() -> None:
    same = spec_identity(SPEC)
    assert same == spec_identity(SPEC)
    assert same != spec_identity(SPEC.replace("t0k3nVALUE", "other"))
    assert "t0k3nVALUE" not in same and "s3cretpass" not in same


def test_scrub_keeps_the_configured_host_readable_and_masks_url_credentials() -> None:
    text = f"http://admin:pw@10.1.2.3:4000/v1: HTTP 500: upstream 192.168.7.7 said {AWS}"
    assert scrub(text, keep={"10.1.2.3"}) == (
        "http://***@10.1.2.3:4000/v1: HTTP 500: upstream [IP_ADDRESS] said [AWS_ACCESS_KEY]"
    )


def test_scrub_finds_a_value_an_overlapping_finding_hid() -> None:
    # the e-mail's local part runs into the AWS key; one pass reports only the key
    assert scrub(f"exfil_{AWS}_jane.doe@example.com") == "exfil_[AWS_ACCESS_KEY]_[EMAIL_ADDRESS]"


@pytest.mark.parametrize("start", [1980, 1984, 1990, 1999])
def test_scrub_cut_leaves_no_piece_of_a_key_straddling_the_cut(start: int) -> None:
    text = "w" * start + AWS + " more"
    cut = scrub_cut(text, 2000) or ""
    assert cut == ("w" * start + "[AWS_ACCESS_KEY] more")[:2000]


def test_scrub_cut_grows_its_window_when_scrubbing_shrinks_the_text() -> None:
    # 40 PEM blocks shrink to placeholders; the window must grow past the first one to fill the cut
    pem = "-----BEGIN RSA PRIVATE KEY-----\n" + "MIIB" * 300 + "\n-----END RSA PRIVATE KEY-----\n"
    text = pem * 40 + "w" * 1990 + AWS
    cut = scrub_cut(text, 2000) or ""
    assert "MIIB" not in cut and AWS[:4] not in cut and len(cut) == 2000


def test_scrub_tail_leaves_no_piece_of_a_key_straddling_the_start_of_the_tail() -> None:
    text = "x" * 100 + AWS + "y" * 1990  # the last 2000 characters start inside the key
    tail = scrub_tail(text, 2000) or ""
    assert len(tail) == 2000 and "EXAMPLE" not in tail and "AKIA" not in tail


class _Raising(Agent):
    """A real agent whose every call raises a long message with a key straddling character 2000."""

    async def call(self, case_input: Any, context: dict[str, Any]) -> AgentResponse:
        raise RuntimeError("e" * (1990 - len("RuntimeError: ")) + AWS)


def test_replay_scrubs_an_error_before_cutting_it() -> None:
    result = asyncio.run(run_case(_Raising(), Case(id="c", input="x"), ReplaySettings(retries=0)))
    message = result.error_message or ""
    assert len(message) <= 2000 and "AKIAIOSFOD" not in message and message.endswith("[AWS_ACCESS_KEY]"[:10])


def test_report_and_summary_show_an_old_verdicts_spec_redacted(tmp_path: Path) -> None:
    from gatekit.pipeline.model import Verdict
    from gatekit.report.html import render_report
    from gatekit.sinks.github import render_summary

    def concrete(value: Any) -> Any:  # the snapshot's placeholders as values of their type
        if isinstance(value, dict):
            return {k: concrete(v) for k, v in value.items()}
        if isinstance(value, list):
            return [concrete(v) for v in value]
        return {"<float>": 1.0, "<str>": "x", "<timing>": None}.get(value, value) if isinstance(value, str) else value

    verdict = concrete(json.loads((TESTS_DIR / "snapshots" / "verdict_v1.json").read_text()))
    verdict["candidate"] = {"spec": SPEC}
    for text in (render_report(Verdict.model_validate(verdict)), render_summary(Verdict.model_validate(verdict))):
        assert "s3cretpass" not in text and "t0k3nVALUE" not in text and "10.1.2.3:4000" in text


def test_a_user_error_quoting_the_spec_prints_no_credentials(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p")
    proc = run_cli(root, "eval", "--agent", "nope://admin:s3cretpass@10.1.2.3/x?token=t0k3nVALUE")
    assert proc.returncode == 2, proc.stderr
    assert "nope://***@10.1.2.3/x?token=***" in proc.stderr
    assert "s3cretpass" not in proc.stdout + proc.stderr and "t0k3nVALUE" not in proc.stdout + proc.stderr
