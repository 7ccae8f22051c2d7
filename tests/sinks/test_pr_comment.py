"""The sticky PR comment against a local stand-in of GitHub's issue-comment REST endpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import serve_http

from gatekit.errors import SinkError
from gatekit.sinks.pr_comment import MARKER, main, upsert_comment

REPO = "acme/shop"
TOKEN = "ghs_test_token_value"


class FakeGitHub:
    """In-memory comments of pull request 7; list (paginated with Link), create, update."""

    def __init__(self, page_size: int = 100) -> None:
        self.comments: list[dict[str, Any]] = []
        self.next_id = 1000
        self.page_size = page_size
        self.calls: list[tuple[str, str]] = []
        self.auth: set[str] = set()

    def add(self, body: str) -> int:
        self.next_id += 1
        self.comments.append({"id": self.next_id, "body": body})
        return self.next_id


@pytest.fixture
def github() -> Iterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

        def _authorised(self) -> bool:
            fake.auth.add(self.headers.get("Authorization", ""))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"message": "Bad credentials"})
                return False
            return True

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            fake.calls.append(("GET", url.path))
            if not self._authorised():
                return
            if url.path != f"/repos/{REPO}/issues/7/comments":
                self._send(404, {"message": "Not Found"})
                return
            page = int(parse_qs(url.query).get("page", ["1"])[0])
            size = fake.page_size
            chunk = fake.comments[(page - 1) * size : page * size]
            headers = {}
            if page * size < len(fake.comments):
                host = f"http://{self.headers['Host']}"
                headers["Link"] = f'<{host}{url.path}?per_page=100&page={page + 1}>; rel="next", <{host}/x>; rel="last"'
            self._send(200, chunk, headers)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            fake.calls.append(("POST", url.path))
            if not self._authorised():
                return
            assert url.path == f"/repos/{REPO}/issues/7/comments"
            comment_id = fake.add(self._body()["body"])
            self._send(201, {"id": comment_id})

        def do_PATCH(self) -> None:
            url = urlsplit(self.path)
            fake.calls.append(("PATCH", url.path))
            if not self._authorised():
                return
            comment_id = int(url.path.rsplit("/", 1)[1])
            for comment in fake.comments:
                if comment["id"] == comment_id:
                    comment["body"] = self._body()["body"]
                    self._send(200, comment)
                    return
            self._send(404, {"message": "Not Found"})

    with serve_http(Handler) as port:
        yield fake, f"http://127.0.0.1:{port}"


def _marked(fake: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in fake.comments if MARKER in c["body"]]


def test_first_run_creates_second_run_updates_the_same_comment(github: tuple[FakeGitHub, str]) -> None:
    fake, api = github
    fake.add("LGTM")
    action, first = upsert_comment(api, REPO, 7, TOKEN, "### gatekit: FAIL")
    assert action == "created"
    action, second = upsert_comment(api, REPO, 7, TOKEN, "### gatekit: PASS")
    assert (action, second) == ("updated", first)
    marked = _marked(fake)
    assert len(marked) == 1 and marked[0]["body"] == f"{MARKER}\n### gatekit: PASS"
    assert fake.comments[0]["body"] == "LGTM"
    assert fake.auth == {f"Bearer {TOKEN}"}


def test_marker_is_found_on_a_later_page(github: tuple[FakeGitHub, str]) -> None:
    fake, api = github
    fake.page_size = 3
    for i in range(7):
        fake.add(f"comment {i}")
    sticky = fake.add(f"{MARKER}\nold summary")
    fake.add("after it")
    action, comment_id = upsert_comment(api, REPO, 7, TOKEN, "new summary")
    assert (action, comment_id) == ("updated", sticky)
    assert [c for c in fake.calls if c[0] == "GET"] == [("GET", f"/repos/{REPO}/issues/7/comments")] * 3
    assert len(_marked(fake)) == 1 and _marked(fake)[0]["body"].endswith("new summary")


def test_every_page_is_read_before_creating(github: tuple[FakeGitHub, str]) -> None:
    fake, api = github
    fake.page_size = 2
    for i in range(5):
        fake.add(f"comment {i}")
    action, _ = upsert_comment(api, REPO, 7, TOKEN, "summary")
    assert action == "created"
    assert sum(1 for c in fake.calls if c[0] == "GET") == 3 and len(_marked(fake)) == 1


def test_api_errors_are_one_line_without_the_token(github: tuple[FakeGitHub, str]) -> None:
    _, api = github
    with pytest.raises(SinkError) as info:
        upsert_comment(api, REPO, 7, "wrong-token", "summary")
    assert "HTTP 401" in str(info.value) and "wrong-token" not in str(info.value)
    with pytest.raises(SinkError, match="owner/name"):
        upsert_comment(api, "acme/shop/../x", 7, TOKEN, "summary")


def test_module_entry_point_comments_on_a_pull_request(
    github: tuple[FakeGitHub, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, api = github
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    verdict = tmp_path / "verdict.json"  # missing: gatekit exited before a verdict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
        "GITHUB_API_URL": api,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": TOKEN,
    }
    argv = ["--verdict", str(verdict), "--exit-code", "2"]
    # the real module entry point (as the action runs it) creates the comment ...
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit.sinks.pr_comment", *argv], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "created" in proc.stdout and TOKEN not in proc.stdout + proc.stderr
    # ... and the same ``main`` in process updates it in place
    assert main(argv, env) == 0
    out, err = capsys.readouterr()
    assert "updated" in out and TOKEN not in out + err
    marked = _marked(fake)
    assert len(marked) == 1 and "gatekit exited 2 before writing a verdict" in marked[0]["body"]
    event.write_text(json.dumps({"push": {}}), encoding="utf-8")
    assert main(argv, env) == 0
    assert "not a pull_request event" in capsys.readouterr().out
