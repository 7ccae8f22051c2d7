"""A GitHub or GitLab token glued to an identifier by ``_`` or ``-`` is found (a tool name ``lookup_ghp_...`` leaked).

Found by the end-to-end leak red team (round 11): AWS keys and Slack tokens in the same position were found, GitHub
and GitLab tokens were not, because their patterns refused any word character before the prefix.
"""

from __future__ import annotations

import pytest

from gatekit.governance.detectors import DEFAULT_SCANNER

GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
GITLAB = "glpat-" + "a1B2c3D4e5F6g7H8i9J0k"


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (f"lookup_{GITHUB}", "GITHUB_TOKEN", GITHUB),
        (f"run-{GITHUB}", "GITHUB_TOKEN", GITHUB),
        (f'{{"name": "tool_{GITLAB}"}}', "API_TOKEN", GITLAB),
        (f"deploy-{GITLAB} ok", "API_TOKEN", GITLAB),
    ],
)
def test_a_token_after_an_underscore_or_a_dash_is_found(text: str, kind: str, value: str) -> None:
    assert [(f.type, f.value) for f in DEFAULT_SCANNER.scan(text)] == [(kind, value)]


@pytest.mark.parametrize("text", [f"x{GITHUB}", f"abc{GITLAB}", f"v1.{GITLAB}"])
def test_a_prefix_inside_a_word_or_a_dotted_name_is_not_a_token(text: str) -> None:
    assert [f.type for f in DEFAULT_SCANNER.scan(text)] == []
