"""The speed-ups of the governance hot path give the same decisions as the plain paths they replace.

(The detectors' tests are in test_governance_detectors.py.)
"""

from __future__ import annotations

from gatekit.governance.expressions import Expression


def test_conjuncts_split_a_top_level_and_only() -> None:
    whole = Expression('context.env == "production" and tool.name == "x" and tool.arguments.amount > 500')
    parts = whole.conjuncts()
    assert [sorted(p.names) for p in parts] == [["context"], ["tool"], ["tool"]]
    env = {"context": {"env": "production"}, "tool": {"name": "x", "arguments": {"amount": 600}}}
    assert all(p(env) for p in parts) and whole(env)
    single = Expression("tool.name == 'x' or context.env == 'p'")
    assert single.conjuncts() == [single]


def test_tool_texts_flat_paths_equal_the_generic_walk() -> None:
    """The flat-mapping and list-of-strings fast paths of ``tool_texts`` read exactly what the walker reads."""
    from gatekit.governance.rules.base import Evaluation, _walk_values

    arguments = [
        {"item_ids": ["1151293680", "", "4983901480"], "order_id": "#W2378156"},
        {"Jane.Doe@x.com": 1, "userEmail": ["a@b.co", 5, None], "ok": [], "nested": {"list": ["x", ""]}},
        {"names": ("Yusuf", "Rossi"), "mixed": ["abc", b"4111 1111 1111 1111"], "n": 12345678901, "f": True},
        ["free", "text list"],
    ]
    ev = Evaluation({}, {"tool_calls": [{"name": "t", "arguments": a} for a in arguments]}, None)
    expected = [item for index, a in enumerate(arguments) for item in _walk_values(a, ("tool", index))]
    assert ev.tool_texts() == expected
    assert ("tool", 0, "item_ids", 1) not in dict(ev.tool_texts())  # an empty string is not a text


def test_scan_hits_finds_the_same_in_every_scope_order() -> None:
    """Tool-argument findings come from the scanner's shared cache or a scan alike; short texts are skipped."""
    from gatekit.governance.detectors import DEFAULT_SCANNER
    from gatekit.governance.rules.base import Evaluation, argument_keys

    response = {
        "output": "Mail jane@example.com or call (415) 555-0134.",
        "tool_calls": [
            {"name": "t", "arguments": {"email": "jane@example.com", "item_ids": ["4155550134"], "x": "a@b"}},
            {"name": "u", "arguments": {"note": "call (415) 555-0134 " * 20, "phone": "4155550134"}},
        ],
    }
    ids = argument_keys(("id", "ids", "*_id", "*_ids"))
    hits = Evaluation({}, response, None).scan_hits(True, True, False, ids, DEFAULT_SCANNER)
    again = Evaluation({}, response, None).scan_hits(True, True, False, ids, DEFAULT_SCANNER)  # cached scans
    assert hits == again
    keys = [key for key, _ in hits]
    assert keys[0] == "output" and ("tool", 0, "email") in keys and ("tool", 1, "phone") in keys
    assert ("tool", 0, "item_ids", 0) not in keys  # a digit run under an id key is no phone number
    for key, found in hits:
        text = response["output"] if key == "output" else Evaluation({}, response, None).text(key)
        assert found == DEFAULT_SCANNER.scan(text)
