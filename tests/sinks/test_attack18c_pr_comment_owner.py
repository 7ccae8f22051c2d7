"""attack18c: any comment holding the hidden marker was taken for the gate's sticky summary, whoever wrote it.

An outside contributor (a fork's pull request) could post ``<!-- gatekit-summary -->`` first: the gate then PATCHed
that person's comment with its verdict (so the "gate summary" sat under their name, and they could edit it to read
PASS afterwards), or the PATCH was refused and the pr-comment step failed on every run. A marked comment now counts
only when a bot or someone with write access (OWNER / MEMBER / COLLABORATOR) wrote it; otherwise the gate writes its
own. A local stand-in of GitHub's issue-comment endpoints on 127.0.0.1 answers with the fields GitHub sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import serve_http

from gatekit.sinks.pr_comment import MARKER, upsert_comment

REPO = "acme/shop"
TOKEN = "ghs_test_token_18c"
PATH = f"/repos/{REPO}/issues/7/comments"


@pytest.fixture
def comments() -> Iterator[tuple[list[dict[str, Any]], str]]:
    store: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

        def do_GET(self) -> None:
            self._send(200 if urlsplit(self.path).path == PATH else 404, store)

        def do_POST(self) -> None:
            comment = {"id": 5000 + len(store), "body": self._body()["body"], "author_association": "NONE",
                       "user": {"login": "github-actions[bot]", "type": "Bot"}}  # fmt: skip
            store.append(comment)
            self._send(201, comment)

        def do_PATCH(self) -> None:
            comment_id = int(urlsplit(self.path).path.rsplit("/", 1)[1])
            for comment in store:
                if comment["id"] == comment_id:  # a token with write access may edit anyone's comment
                    comment["body"] = self._body()["body"]
                    self._send(200, comment)
                    return
            self._send(404, {"message": "Not Found"})

    with serve_http(Handler) as port:
        yield store, f"http://127.0.0.1:{port}"


def _comment(cid: int, body: str, login: str, kind: str, association: str) -> dict[str, Any]:
    return {"id": cid, "body": body, "user": {"login": login, "type": kind}, "author_association": association}


def test_a_contributor_s_marked_comment_is_never_taken_for_the_gate_s(comments: tuple[list, str]) -> None:
    store, api = comments
    store.append(_comment(1, f"{MARKER}\nlooks like the gate said PASS", "mallory", "User", "CONTRIBUTOR"))
    action, comment_id = upsert_comment(api, REPO, 7, TOKEN, "### gatekit: FAIL")
    assert action == "created" and comment_id != 1
    assert store[0]["body"] == f"{MARKER}\nlooks like the gate said PASS"  # not overwritten: still hers, not ours
    action, again = upsert_comment(api, REPO, 7, TOKEN, "### gatekit: FAIL again")
    assert (action, again) == ("updated", comment_id)  # the gate's own comment is found on the next run


def test_a_maintainer_s_or_a_bot_s_marked_comment_is_updated(comments: tuple[list, str]) -> None:
    store, api = comments
    store.append(_comment(1, f"{MARKER}\nold", "octo-maintainer", "User", "MEMBER"))
    assert upsert_comment(api, REPO, 7, TOKEN, "### gatekit: PASS") == ("updated", 1)
    store.clear()
    store.append(_comment(2, f"{MARKER}\nold", "github-actions[bot]", "Bot", "NONE"))
    assert upsert_comment(api, REPO, 7, TOKEN, "### gatekit: PASS") == ("updated", 2)
