"""attack17e on what the real proxy writes: rows, traces and /metrics carry no personal data.

The proxy kept the first 256 characters of a body's ``user`` *before* anything scrubbed it: an e-mail address
across the cut ("... jane.doe@exa") was no longer an address to the detectors, and the production-log row and
every decision trace of the request carried "jane.doe@exa". The user id is now scrubbed before it is cut.
"""

from __future__ import annotations

from pathlib import Path

from runtime.chat_upstream import chat_upstream
from runtime.proxy_harness import chat, request, serving

LEAKS = ("jane", "doe@", "example.com", "hunter2", "abcdef1234567890")


def test_a_long_user_id_is_scrubbed_before_it_is_cut(tmp_path: Path) -> None:
    rows, traces = tmp_path / "rows.jsonl", tmp_path / "traces.jsonl"
    long_user = "A" * 246 + " jane.doe@example.com"  # the proxy's cut (256) falls inside the address
    with chat_upstream() as upstream, serving(upstream.url, log_to=rows, trace_to=traces) as proxy:
        assert chat(proxy.url, "plain", user=long_user).status == 200
        assert chat(proxy.url, "allowed-tool", user="https://u:hunter2@h.example/x?api_key=abcdef1234567890").status
        metrics = request(f"{proxy.url}/metrics", method="GET")
    assert metrics.status == 200
    written = {"rows": rows.read_text(encoding="utf-8"), "traces": traces.read_text(encoding="utf-8")}
    assert written["rows"].count("\n") == 2 and written["traces"]
    written["metrics"] = metrics.body.decode()
    found = {(name, leak) for name, text in written.items() for leak in LEAKS if leak in text}
    assert found == set(), found
    assert "[EMAIL_ADDRESS]" in written["rows"] or "AAAA" in written["rows"]  # the user id is there, scrubbed
