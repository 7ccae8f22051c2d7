"""Shared fixtures: a real ``mlflow server`` process, the repository root, a clean work dir."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

TESTS_DIR = Path(__file__).resolve().parent  # tests/: helpers, data/, snapshots/ (test files may sit below)
REPO_ROOT = TESTS_DIR.parent
SHARED_DATA = Path(os.environ.get("GATEKIT_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data")

# Where PYTHONDONTWRITEBYTECODE is set, every xdist worker would rewrite the asserts of all ~100 test modules
# again on every run (~2 CPU-s a worker, 4 workers): this process keeps pytest's rewritten modules (and the
# compiled modules it imports) in the usual, gitignored ``__pycache__`` folders. Subprocesses keep the setting.
sys.dont_write_bytecode = False


def best_thread_time(function: Callable[[], Any], runs: int = 3) -> float:
    """The lowest CPU time of this thread (seconds) over ``runs`` calls of ``function``: its cost, not the machine's."""
    best = float("inf")
    for _ in range(runs):
        started = time.thread_time()
        function()
        best = min(best, time.thread_time() - started)
    return best


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout_s: float = 90.0) -> None:
    """Poll ``url`` until it answers 200 or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except Exception as exc:  # noqa: BLE001 - keep polling
            last = exc
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout_s}s: {last}")


class MlflowServer:
    """A running ``mlflow server`` in its own process group."""

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.root = root
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.launch()
        self.wait()

    def wait(self) -> None:
        """Block until the server answers ``/health`` (it imports MLflow's whole web app first: seconds)."""
        wait_http(self.uri + "/health")

    def launch(self, seed: bool = True) -> None:
        """Start the process and return at once; ``wait`` blocks until it serves.

        Without MLflow's server-side job runner (``MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false``; gatekit starts no
        server jobs): its seven ``huey`` consumer processes polled the store the whole run, ~0.5 CPU-s a second
        (30 s after start: 24 CPU-s for the server's processes with them, 5.8 without).

        ``seed``: start from a copy of a migrated empty store (``mlflow_store``) instead of letting the server
        run MLflow's ~100 migrations (worth it where this process has MLflow imported anyway).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        if seed:
            from mlflow_store import fresh_store

            fresh_store(self.root / "mlflow.db")
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlflow",
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--backend-store-uri",
                f"sqlite:///{self.root / 'mlflow.db'}",
                "--default-artifact-root",
                str(self.root / "artifacts"),
                "--workers",
                "1",
            ],
            cwd=self.root,
            env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        try:  # a throwaway store: no need to wait out uvicorn's graceful shutdown (it took ~3 s, at the run's end)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None


_EARLY_SERVER: list[MlflowServer] = []


def _uses_mlflow_server(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    dynamic = callspec is not None and callspec.params.get("uri") == "server"  # test_promotion_mlflow's ``uri``
    return "mlflow_server" in getattr(item, "fixturenames", ()) or dynamic


def _uses_spark(item: pytest.Item) -> bool:
    return "spark" in getattr(item, "fixturenames", ())


def _has_module_fixture(item: pytest.Item) -> bool:
    """The test uses a module- or class-scoped fixture (a gate run, a registry): its module stays on one worker."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(defs and defs[-1].scope in ("module", "class") for defs in info.name2fixturedefs.values())


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the tests of the one MLflow server together, and start it early.

    Under pytest-xdist (``--dist loadgroup``) every test that uses ``mlflow_server`` goes to one worker, and
    the controller starts the one server as soon as a worker reports it among its tests
    (``pytest_xdist_node_collection_finished``) and its tests run last, so no worker waits for its start
    (MLflow's web app takes seconds to import). Likewise the tests of a
    module with a module-scoped fixture share a worker, so the fixture is built once, and every test on the
    shared local Spark session (``spark``) runs on one worker, so one JVM starts; the Spark tests are sent
    out first (their group is the longest, so it starts at once and overlaps the rest). Without xdist the server
    is launched right after collection, so its start overlaps the tests that run first.
    """
    uses = [item for item in items if _uses_mlflow_server(item)]
    for item in uses:
        item.add_marker(pytest.mark.xdist_group(_SERVER_GROUP))
    if uses:  # last: by the time they run, the server (launched now) is up
        items[:] = [item for item in items if not _uses_mlflow_server(item)] + uses
    for item in items:  # one JVM per run: every test on the shared Spark session goes to one worker
        if item not in uses and _uses_spark(item):
            item.add_marker(pytest.mark.xdist_group(_SPARK_GROUP))
    # the Spark tests first: their worker starts the JVM at once and the longest group overlaps everything else
    first = [item for item in items if _uses_spark(item) or "spark" in item.nodeid.lower()]
    items[:] = first + [item for item in items if item not in first]
    for item in items:
        if item not in uses and not _uses_spark(item) and _has_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
    if uses and "PYTEST_XDIST_WORKER" not in os.environ:
        root = Path(tempfile.mkdtemp(prefix="gatekit-mlflow-server-"))
        server = MlflowServer(root)
        server.launch()
        _EARLY_SERVER.append(server)


_SERVER_GROUP = "mlflow-server"
_SPARK_GROUP = "spark"
_SERVER_DIR = "gatekit_mlflow_server_dir"  # workerinput key: where the controller's server writes server.json


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: tell each worker where the session's MLflow server (if one starts) describes itself."""
    if not _CONTROLLER_DIR:
        _CONTROLLER_DIR.append(Path(tempfile.mkdtemp(prefix="gatekit-mlflow-server-")))
    node.workerinput[_SERVER_DIR] = str(_CONTROLLER_DIR[0])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """xdist controller: start the MLflow server once, as soon as a worker collected a test that uses it."""
    if _EARLY_SERVER or not _CONTROLLER_DIR or not any(i.endswith("@" + _SERVER_GROUP) for i in ids):
        return
    server = MlflowServer(_CONTROLLER_DIR[0] / "server")
    server.launch(seed=False)  # the controller has no MLflow imported: the server migrates its own store
    _EARLY_SERVER.append(server)
    (_CONTROLLER_DIR[0] / "server.json").write_text(json.dumps({"port": server.port}), encoding="utf-8")


_CONTROLLER_DIR: list[Path] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop a server launched early that no test asked for, or the xdist controller's (the fixture stops others)."""
    while _EARLY_SERVER:
        server = _EARLY_SERVER.pop()
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
    if _CONTROLLER_DIR and "PYTEST_XDIST_WORKER" not in os.environ:
        shutil.rmtree(_CONTROLLER_DIR.pop(), ignore_errors=True)


@pytest.fixture(scope="session")
def mlflow_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real MLflow tracking server on 127.0.0.1 (sqlite backend, local artifacts), once per session.

    Launched right after collection when a selected test needs it (``pytest_collection_modifyitems``); under
    xdist by the controller, which also stops it (this worker only connects).
    """
    shared = getattr(request.config, "workerinput", {}).get(_SERVER_DIR)
    described = Path(shared) / "server.json" if shared else None
    if described is not None and described.exists():
        port = int(json.loads(described.read_text(encoding="utf-8"))["port"])
        remote = MlflowServer(described.parent / "server", port=port)  # the controller's; it stops it
        remote.wait()
        yield remote
        return
    if _EARLY_SERVER:
        server = _EARLY_SERVER.pop()
    else:
        server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
        server.launch()
    try:
        server.wait()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The test process's one local Spark session (``spark_session``); skipped without Java (a failure on CI)."""
    from spark_session import start_session

    session = start_session(tmp_path_factory.mktemp("spark-warehouse"))
    yield session
    session.stop()


@pytest.fixture(scope="session", autouse=True)
def _mlflow_template_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The migrated empty MLflow store (``mlflow_store``) is built in this session's basetemp, not left in /tmp.

    Under xdist the workers' basetemps share a parent: one folder there, so the store is built once per run.
    """
    from mlflow_store import TEMPLATE_HOME

    if not TEMPLATE_HOME:
        if "PYTEST_XDIST_WORKER" in os.environ:
            shared = tmp_path_factory.getbasetemp().parent / "mlflow-template"
            shared.mkdir(exist_ok=True)
            TEMPLATE_HOME.append(shared)
        else:
            TEMPLATE_HOME.append(tmp_path_factory.mktemp("mlflow-template"))


@pytest.fixture
def repo_root() -> Path:
    """The repository root (where gatekit.yaml and the demo live)."""
    return REPO_ROOT


# a test that reads the shared data: skipped where it is absent (as the ``shared_data`` fixture skips)
needs_shared_data = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="needs $GATEKIT_SHARED_DATA or ../shared/data")


@pytest.fixture
def shared_data() -> Path:
    """``$GATEKIT_SHARED_DATA``, else ``../shared/data`` next to the repository; tests that need it skip when absent."""
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA


def benchmark_module(name: str) -> Any:
    """Import ``benchmarks/<name>.py`` as the benchmarks import each other (benchmarks/ on ``sys.path`` meanwhile)."""
    import importlib

    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(REPO_ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def injection_data() -> Any:
    """benchmarks/injection_data.py: the injection model's labelled texts and held-out splits."""
    return benchmark_module("injection_data")


@pytest.fixture(scope="module")
def train_injection() -> Any:
    """benchmarks/train_injection.py (needs scikit-learn, the ``dev`` extra)."""
    pytest.importorskip("sklearn")
    return benchmark_module("train_injection")


@contextlib.contextmanager
def serve_http(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """A real HTTP server of ``handler`` on 127.0.0.1 (a free port, yielded), in a thread; shut down on exit."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def verdict_data(**fields: Any) -> dict[str, Any]:
    """What every verdict.json holds (a passing ``eval`` of three cases, replayed in a second), ``fields`` put over
    it: the base of a hand-made verdict, ``Verdict.model_validate(verdict_data(...))``."""
    return {
        "command": "eval",
        "verdict": "pass",
        "exit_code": 0,
        "candidate": {"spec": "python:agent:run"},
        "dataset": {"path": "cases.jsonl", "format": "jsonl", "cases": 3, "sha256": "ab" * 32},
        "gatekit_version": "0.1.0",
        "started_at": "2026-01-01T00:00:00+00:00",
        "replay": {
            "wall_s": 1.0,
            "concurrency": 1,
            "timeout_s": 30.0,
            "retries": 0,
            "repeat": 1,
            "stopped_early": False,
        },
        "out_dir": "out",
        **fields,
    }


async def read_http_request(reader: Any) -> tuple[bytes, bytes]:
    """One HTTP/1.1 request read off a raw ``asyncio`` connection: (head, body), the body by its Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    return head, await reader.readexactly(length)


# one answer of a stub server: (HTTP status, Content-Type, body)
Reply = tuple[int, str, bytes]


def replying_handler(reply: Callable[[dict[str, Any]], Reply]) -> type[http.server.BaseHTTPRequestHandler]:
    """A quiet handler whose POST reads the request's JSON body and answers ``reply(body)``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            status, content_type, payload = reply(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    return Handler


@contextlib.contextmanager
def stub_upstream(reply: Callable[[dict[str, Any]], Reply]) -> Iterator[str]:
    """A real chat-completions upstream on 127.0.0.1 answering ``reply(request body)``; its ``/v1`` base URL."""
    with serve_http(replying_handler(reply)) as port:
        yield f"http://127.0.0.1:{port}/v1"


@contextlib.contextmanager
def tool_calls_upstream(*choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> Iterator[str]:
    """A :func:`stub_upstream` answering every request with one choice a list of tool calls in ``choices`` (and
    ``usage`` when given)."""
    answer: dict[str, Any] = {"id": "chatcmpl-1", "object": "chat.completion", "model": "m", "choices": [
        {"index": i, "message": {"role": "assistant", "content": None, "tool_calls": calls},
         "finish_reason": "tool_calls"}
        for i, calls in enumerate(choices)
    ]}  # fmt: skip
    if usage:
        answer["usage"] = usage
    payload = json.dumps(answer).encode()
    with stub_upstream(lambda _body: (200, "application/json", payload)) as url:
        yield url


def policy_file(folder: Path, policy: str | dict[str, Any]) -> Path:
    """``folder/policy.yaml`` holding ``policy`` (YAML text, or a mapping written as YAML); its path."""
    path = folder / "policy.yaml"
    path.write_text(policy if isinstance(policy, str) else yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


def check_default_policy_on_corpus(negatives: list[str], positives: list[dict[str, Any]], run_id: str) -> None:
    """The bundled default policy redacts nothing in ``negatives`` and, for every positive (``{"text", "expect":
    [{"value", ...}]}``), redacts or denies so that no expected value is left in the output it writes."""
    from gatekit.governance import load_policy
    from gatekit.models import Outcome

    policy = load_policy(REPO_ROOT / "policies" / "default.yaml")
    run = policy.new_run(run_id)
    case = {"id": "c1", "input": "hello", "context": {"env": "test"}}
    for text in negatives:
        decision = policy.evaluate(case, {"output": text, "tool_calls": []}, run)
        assert decision.redactions == {}, (text, decision.reasons)
    for item in positives:
        text = str(item["text"])
        decision = policy.evaluate(case, {"output": text, "tool_calls": []}, run)
        assert decision.outcome in (Outcome.ALLOW_WITH_REDACTION, Outcome.DENY), text
        written = str(decision.redacted_output)
        for expected in item["expect"]:
            assert expected["value"] not in written, (text, expected["value"])


def found_as(text: str, value: str, kind: str | None = None, findings: list[Any] | None = None) -> bool:
    """A finding of ``kind`` (None: any secret's) of ``text`` covers ``value`` (``findings``: the scan's, if made)."""
    from gatekit.governance.detectors import scan

    start = text.index(value)
    end = start + len(value)
    return any(
        f.start <= start and f.end >= end and (f.type == kind if kind else f.is_secret)
        for f in (scan(text) if findings is None else findings)
    )


def corpus_scan_errors(negatives: list[str], positives: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """(negatives with a finding, expected values not found) of a red-team corpus under the default scanner.

    A positive is ``{"text", "expect": [{"value", "type"}]}``; a value counts as found when a finding of its type (or
    any secret's, for a ``type`` of None) covers it.
    """
    from gatekit.governance.detectors import scan

    flagged = [(text, [(f.type, f.value) for f in found]) for text in negatives if (found := scan(text))]
    missed = []
    for case in positives:
        text = str(case["text"])
        found = scan(text)
        for expected in case["expect"]:
            if not found_as(text, expected["value"], expected["type"], found):
                missed.append((text, expected))
    return flagged, missed


def check_linear_on_hostile_unit(unit: str) -> None:
    """100 KB of ``unit`` repeated: every default detector under 0.1 s (CI's shared cores; the target, 10 ms on an idle
    core, is printed by benchmarks/governance.py), and 4x the text ~4x the scan's time, never ~16x."""
    from gatekit.governance.detectors import DEFAULT_DETECTORS, DEFAULT_SCANNER
    from gatekit.governance.normalise import normalise

    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    subject = normalise(text).text
    for detector in DEFAULT_DETECTORS:
        assert best_thread_time(lambda d=detector: d.findings(subject)) < 0.1, (detector.type, unit)
    small = (unit * (25_000 // len(unit) + 1))[:25_000]
    small_s = best_thread_time(lambda: DEFAULT_SCANNER.scan(small))
    large_s = best_thread_time(lambda: DEFAULT_SCANNER.scan(small * 4))
    assert large_s < 8 * small_s + 0.01, (unit, small_s, large_s)


def pairs_by_loop(text: str, budget: int | None = None) -> list[tuple[int, int]]:
    """The reference of ``generic._pairs``: each quoted pair's sign from ``_PAIR`` (a quote class first), a credential
    name before it, its value validated (a person's password too after a password's name); past ``budget`` named pairs
    (None: never) every value on its shape."""
    from gatekit.governance.detectors import generic

    found = []
    checked = 0
    for sign in generic._PAIR.finditer(text):
        at = sign.start() + 1
        named = generic._NAME.search(text, max(0, at - generic._NAME_REACH), at)
        if named is None:
            continue
        checked += 1
        value = generic._VALUE.match(text, sign.end())
        shape_only = budget is not None and checked > budget
        if value is not None and (shape_only or generic._named_value(text, named, value.group("value"))):
            found.append(value.span("value"))
    return found


# --- a tiny project run through the real CLI (the attack16 tests of inputs and the environment) ---------------------
ATTACK_AGENT = """
def run(case_input, context=None):
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def attack_project(tmp_path: Path, rows: list[str]) -> Path:
    """``tmp_path`` holding a one-answer agent, a dataset of ``rows`` (JSONL lines) and lenient thresholds."""
    (tmp_path / "agent16.py").write_text(ATTACK_AGENT, encoding="utf-8")
    (tmp_path / "ds.jsonl").write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    return tmp_path


def attack_gate(
    cwd: Path, *args: str, env: dict[str, str] | None = None, agent: str = "python:agent16:run"
) -> subprocess.CompletedProcess[str]:
    """``gatekit eval`` of :func:`attack_project`'s files in ``cwd`` (or of ``agent``), no GATEKIT_* variable but
    ``env``'s."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_") or k == "GATEKIT_SHARED_DATA"}
    full_env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{cwd}"
    full_env.update(env or {})
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", agent]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml"), *args]
    # only a hang guard: a gate loading an MLflow model took 115 s of a 120 s guard on a busy machine
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300)


def one_line_exit_2(proc: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refused command (exit 2, no traceback): asserted, and returned."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@contextlib.contextmanager
def failing_tracking_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1: ``/health`` answers 200 (the check before the replay passes), every MLflow
    API call 404 at once (logging fails after the replay: exit 3)."""
    with slow_tracking_server(0, status=404) as uri:
        yield uri


def signal_when(
    proc: subprocess.Popen[str], ready: Callable[[], bool], sig: int = signal.SIGINT, wait_s: float = 60
) -> tuple[str, str]:
    """Send ``sig`` to ``proc`` once ``ready()`` holds (or it ended, or ``wait_s`` passed); its (stdout, stderr).

    The process is killed if it is still running afterwards, so a test never leaves it behind.
    """
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and proc.poll() is None and not ready():
            time.sleep(0.05)
        proc.send_signal(sig)
        return proc.communicate(timeout=wait_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@contextlib.contextmanager
def slow_tracking_server(delay_s: float, status: int | None = 503) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1: ``/health`` answers 200 at once (the check before the replay passes), every
    MLflow API call answers ``status`` after ``delay_s`` (``None``: never, until the server is closed)."""
    closing = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            if self.path != "/health":
                closing.wait(None if status is None else delay_s)
                if status is None:
                    return
            self.send_response(200 if self.path == "/health" else status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PATCH = do_DELETE = _answer  # noqa: N815 - the http.server names

        def log_message(self, *args: object) -> None:
            return

    with serve_http(Handler) as port:
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            closing.set()  # answers still waiting end before the server shuts down


# (method, path without the query, body) -> "pass" (forwarded), "fail" (503, not forwarded), "apply" (forwarded,
# then 503: the server did it, the answer is lost) or "hang" (no answer until the client gives up)
ProxyRule = Callable[[str, str, bytes], str]


@contextlib.contextmanager
def mlflow_proxy(upstream: str, rule: ProxyRule) -> Iterator[tuple[str, list[str], list[float]]]:
    """A real HTTP proxy on 127.0.0.1 in front of the MLflow server ``upstream``; ``rule`` says per request what it
    does (it sees every request, ``/health`` too, under one lock; ``/health`` is always forwarded).

    Yields its URI, one ``"METHOD /path what"`` line a request, and the seconds each hung request was held until
    its client gave up."""
    seen: list[str] = []
    held: list[float] = []
    lock = threading.Lock()
    closing = threading.Event()
    lost = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "restarting"}'

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            path = self.path.split("?")[0]
            with lock:
                what = rule(self.command, path, body or b"")
                what = "pass" if path == "/health" else what
                seen.append(f"{self.command} {path} {what}")
            if what == "hang":
                self._hold()
                return
            code, data, reply = 503, lost, {}
            if what != "fail":
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                request = urllib.request.Request(upstream + self.path, data=body, method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=60) as resp:  # noqa: S310 - the test's own server
                        code, data, reply = resp.status, resp.read(), dict(resp.headers.items())
                except urllib.error.HTTPError as exc:
                    code, data, reply = exc.code, exc.read(), dict(exc.headers.items())
                if what == "apply":
                    code, data, reply = 503, lost, {}
            self.send_response(code)
            for key, value in reply.items():
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _hold(self) -> None:
            """Answer nothing until the client closes the connection (its read timeout) or the proxy is closed."""
            started = time.monotonic()
            self.connection.settimeout(0.2)
            while not closing.is_set():
                try:
                    if not self.connection.recv(65536):
                        break
                except TimeoutError:
                    continue
                except OSError:
                    break
            with lock:
                held.append(time.monotonic() - started)
            self.close_connection = True

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any  # noqa: N815 - the http.server names

        def log_message(self, *args: object) -> None:
            return

    with serve_http(Proxy) as port:
        try:
            yield f"http://127.0.0.1:{port}", seen, held
        finally:
            closing.set()  # held requests end before the server shuts down
