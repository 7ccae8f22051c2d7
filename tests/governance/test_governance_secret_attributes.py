"""Credentials in key / value attribute pairs (.NET appSettings, HTML form fields) are GENERIC_SECRET findings."""

from __future__ import annotations

import time

import pytest

from gatekit.governance.detectors import scan
from gatekit.governance.detectors.generic import ATTRIBUTE


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('<add key="ApiKey" value="x8Hd93kLq0PzT2"/>', "x8Hd93kLq0PzT2"),
        ('<add key="Stripe.SecretKey" value="x8Hd93kLq0PzT2aa" />', "x8Hd93kLq0PzT2aa"),
        ('<add key="db_password" value="Summer2024"/>', "Summer2024"),
        ("<input type='hidden' name='api_token' value='a9F3kd82LmQ0'>", "a9F3kd82LmQ0"),
    ],
)
def test_credential_attribute_value_is_found(text: str, secret: str) -> None:
    assert [(f.type, f.value) for f in scan(text)] == [("GENERIC_SECRET", secret)]


@pytest.mark.parametrize(
    "text",
    [
        '<add key="PageSize" value="20"/>',  # not a credential name
        '<input name="password" value="">',  # empty
        '<add key="ApiKey" value="changeme"/>',  # no digit: a placeholder, as for assignments
        '<add key="Theme" value="dark-blue-2024"/>',
    ],
)
def test_other_attribute_pairs_are_not_secrets(text: str) -> None:
    assert [f for f in scan(text) if f.type == "GENERIC_SECRET"] == []


def test_attribute_pattern_is_linear_on_hostile_repeats() -> None:
    for unit in ('key="pass" value="', "key='api-key' value='", 'name="token"  value="x1'):
        small, large = unit * (10_000 // len(unit)), unit * (100_000 // len(unit))
        timings = []
        for text in (small, large):
            best = float("inf")
            for _ in range(3):
                started = time.thread_time()
                ATTRIBUTE.findings(text)
                best = min(best, time.thread_time() - started)
            timings.append(best)
        assert timings[1] < 25 * max(timings[0], 1e-4), (unit, timings)
