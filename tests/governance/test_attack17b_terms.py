"""attack17b: a sensitive term with ``ß`` is found written in capitals (``SS``), and the other way round.

``Großprojekt`` in capitals is ``GROSSPROJEKT`` (and Swiss German writes ``ss`` always): matching by ``lower()``
missed it, so a term the author listed went out unredacted.
"""

from __future__ import annotations

import pytest

from gatekit.governance import policy_from_dict
from gatekit.models import Outcome


def _decide(terms: list[str], output: str) -> tuple[Outcome, str]:
    policy = policy_from_dict(
        {"id": "t", "version": "1", "rules": [{"id": "terms", "kind": "sensitive_terms", "terms": terms}]}
    )
    decision = policy.evaluate({"id": "c", "input": "i", "context": {}}, {"output": output, "tool_calls": []})
    return decision.outcome, decision.redacted_output


@pytest.mark.parametrize("term", ["Großprojekt Süd", "Grossprojekt Süd", "GROẞPROJEKT SÜD"])
@pytest.mark.parametrize(
    "written", ["GROSSPROJEKT SÜD", "Großprojekt Süd", "grossprojekt süd", "GROẞPROJEKT-SÜD", "gross projekt süd"]
)
def test_sharp_s_and_double_s_are_one_letter(term: str, written: str) -> None:
    outcome, output = _decide([term], f"Status: {written} ist freigegeben.")
    assert outcome is Outcome.DENY
    assert output == "Status: [SENSITIVE_TERM] ist freigegeben."


@pytest.mark.parametrize("written", ["Grosprojekt Süd", "Großprojekte Süd", "Grossprojekt Sud"])
def test_other_words_stay_unmatched(written: str) -> None:
    outcome, output = _decide(["Großprojekt Süd"], written)
    assert outcome is Outcome.ALLOW
    assert output == written


def test_three_s_in_a_row() -> None:
    assert _decide(["Schlosssee"], "am Schloßsee")[0] is Outcome.DENY
    assert _decide(["Schloßsee"], "am SCHLOSSSEE")[0] is Outcome.DENY
