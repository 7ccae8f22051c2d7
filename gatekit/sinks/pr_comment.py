"""One sticky pull-request comment with the gate's summary, updated in place on re-runs.

The comment is found by a hidden marker (:data:`MARKER`) among the pull request's comments
(every page of them); it is updated when found and created otherwise, so re-runs never
pile up duplicates. Plain ``urllib`` against ``GITHUB_API_URL`` (GitHub Enterprise and
the test's local stand-in work the same way). The token is sent only as a header, never
printed.

The composite action runs ``python -m gatekit.sinks.pr_comment --verdict PATH`` on
``pull_request`` events when its ``pr-comment`` input is true.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatekit.errors import SinkError

MARKER = "<!-- gatekit-summary -->"
MAX_BODY_CHARS = 65_000  # GitHub refuses comments over 65,536 characters
MAX_PAGES = 50  # 100 comments a page: 5,000 comments searched at most
MAX_RESPONSE_BYTES = 20_000_000
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def _request(method: str, url: str, token: str, payload: dict[str, Any] | None = None, timeout: float = 30) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/vnd.github+json")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    request.add_header("User-Agent", "gatekit")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the API URL is https or a test server
            body = response.read(MAX_RESPONSE_BYTES + 1)
            link = response.headers.get("Link") or ""
    except urllib.error.HTTPError as exc:
        raise SinkError(f"GitHub API {method} {_path(url)} answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SinkError(f"GitHub API {method} {_path(url)} failed: {reason}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise SinkError(f"GitHub API {method} {_path(url)}: response larger than {MAX_RESPONSE_BYTES} bytes")
    try:
        return json.loads(body or b"null"), link
    except ValueError:
        raise SinkError(f"GitHub API {method} {_path(url)}: response is not JSON") from None


def _path(url: str) -> str:
    return urllib.parse.urlsplit(url).path


# who may have written the sticky comment: anyone but an outside contributor (GitHub's author_association)
_OUTSIDE = {"CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "NONE", "MANNEQUIN"}


def _trusted_author(comment: Mapping[str, Any]) -> bool:
    """Whether a marked comment can be the gate's own: written by a bot or by someone with write access.

    An outside contributor who posts the marker first must not get the gate's summary written into their comment
    (which they could then edit to read PASS), nor make every update fail.
    """
    user = comment.get("user")
    if isinstance(user, Mapping) and user.get("type") == "Bot":
        return True
    return str(comment.get("author_association") or "").upper() not in _OUTSIDE


def find_comment(api_url: str, repo: str, number: int, token: str) -> dict[str, Any] | None:
    """The first comment of pull request ``number`` holding :data:`MARKER` by a bot or a maintainer, every page."""
    url: str | None = f"{api_url.rstrip('/')}/repos/{repo}/issues/{number}/comments?per_page=100"
    for _ in range(MAX_PAGES):
        if url is None:
            return None
        comments, link = _request("GET", url, token)
        if not isinstance(comments, list):
            raise SinkError("GitHub API: listing comments did not return a list")
        for comment in comments:
            if isinstance(comment, dict) and MARKER in str(comment.get("body") or "") and _trusted_author(comment):
                return comment
        match = _NEXT.search(link)
        url = match.group(1) if match else None
    return None


def comment_body(summary: str) -> str:
    """The marker, then the summary, cut to GitHub's size limit."""
    body = f"{MARKER}\n{summary}"
    if len(body) > MAX_BODY_CHARS:  # on a line boundary: no table row or entity cut in half
        body = body[: MAX_BODY_CHARS - 60].rsplit("\n", 1)[0] + "\n\n… (cut; see the workflow run's summary)"
    return body


def upsert_comment(api_url: str, repo: str, number: int, token: str, summary: str) -> tuple[str, int]:
    """Update the marked comment or create it; returns ``("updated" | "created", comment id)``."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
        raise SinkError(f"GITHUB_REPOSITORY {repo!r} is not owner/name")
    body = comment_body(summary)
    existing = find_comment(api_url, repo, number, token)
    base = api_url.rstrip("/")
    if existing is not None and isinstance(existing.get("id"), int):
        _request("PATCH", f"{base}/repos/{repo}/issues/comments/{existing['id']}", token, {"body": body})
        return "updated", int(existing["id"])
    created, _ = _request("POST", f"{base}/repos/{repo}/issues/{number}/comments", token, {"body": body})
    comment_id = created.get("id") if isinstance(created, dict) else None
    return "created", int(comment_id) if isinstance(comment_id, int) else -1


def pull_request_number(env: Mapping[str, str]) -> int | None:
    """The pull request's number from ``GITHUB_EVENT_PATH`` (None outside a pull_request event)."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    number = (event.get("pull_request") or {}).get("number") if isinstance(event, dict) else None
    return number if isinstance(number, int) and number > 0 else None


def summary_text(verdict_path: Path, exit_code: str, env: Mapping[str, str]) -> str:
    """The step-summary markdown of ``verdict.json``, or a one-line note when there is no verdict."""
    from gatekit.pipeline.model import Verdict
    from gatekit.report.markdown import render_summary

    try:
        verdict = Verdict.from_file(verdict_path)
    except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
        return f"### gatekit: no verdict\n\ngatekit exited {exit_code or 'without a code'} before writing a verdict; see the workflow run."
    return render_summary(verdict, env)


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    """``python -m gatekit.sinks.pr_comment --verdict PATH``: 0 done or skipped, 3 when the API call failed."""
    parser = argparse.ArgumentParser(prog="python -m gatekit.sinks.pr_comment")
    parser.add_argument("--verdict", type=Path, required=True)
    parser.add_argument("--exit-code", default="")
    args = parser.parse_args(argv)
    number = pull_request_number(env)
    token = env.get("GITHUB_TOKEN", "")
    if number is None:
        print("gatekit pr-comment: not a pull_request event; no comment written")
        return 0
    if not token:
        print("gatekit pr-comment: GITHUB_TOKEN is empty; no comment written", file=sys.stderr)
        return 3
    api_url = env.get("GITHUB_API_URL") or "https://api.github.com"
    try:
        action, comment_id = upsert_comment(
            api_url, env.get("GITHUB_REPOSITORY", ""), number, token, summary_text(args.verdict, args.exit_code, env)
        )
    except SinkError as exc:
        print(f"gatekit pr-comment: {exc}", file=sys.stderr)
        return 3
    print(f"gatekit pr-comment: {action} comment {comment_id} on #{number}")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through a subprocess in the tests
    sys.exit(main())
