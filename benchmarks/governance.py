"""Decision latency of the default policy pack (policies/default.yaml).

Two kinds of output, a new one for every decision (nothing is cached across decisions except the
injection score of a customer message the replay has already seen and the findings of short tool-argument
strings such as ids, names and amounts, which recur from case to case; outputs are always scanned, and the phone
validation results the product keeps per digit string are emptied at the start of every round, see _forget_outputs):

* ``reply``: a realistic customer-support reply of 200 characters, assembled per decision from
  support sentences filled with random retail values (names from tau2-bench, order ids, amounts);
  about a third mention an e-mail address, about one in seven a phone number. Its tool calls are
  the first three expected calls of a random tau2-bench retail task with their real arguments
  (names, zips, order ids, item ids, payment methods); its input is golden case ``i mod 60``.
* ``dense``: windows of 200, 2,000 and 10,000 characters cut from presidio-research's synthetic
  PII texts (PII-dense: a worst case for the detectors) with two fixed tool calls; input and context
  are golden case ``i mod 60``, as for ``reply``. (Until the third governance round every dense decision
  reused the first golden case: one customer at one instant, so from the ~100th decision on the
  per-user token budget denied 95 % of them, which measured budget denials rather than PII.)

Input regimes: warm (every customer message and tool-argument string was seen during warm-up, so their
scans are cached, as on every repeat of a replay) for the table; cold (a distinct customer message per
decision, both caches emptied first) below it, for both kinds of 200-character output.

Method (robust to a shared, noisy machine): responses are built before timing; each size is warmed
up, then timed in ROUNDS rounds of N decisions with the garbage collector disabled, every decision
timed on its own with ``time.perf_counter_ns`` around ``Policy.evaluate`` (wall clock) and with
``time.thread_time_ns`` (CPU time of this thread: what the decision costs when the process is not
preempted; it adds ~0.5 us of clock overhead). p50/p99 are over all samples; "p99/round" is the
median of the per-round wall p99s; "best p99" is the p99 over the decisions of each one's lowest CPU time
in the ROUNDS rounds: the decisions' own cost with most of the machine's interruptions taken out (it is
not the target; the target is the wall-clock p99). The machine's load average is printed next to the numbers: on a
loaded 2-core machine the wall-clock tail is mostly other processes taking the CPU (4 ms slices).

The "machine floor" line times a fixed pure-Python workload with the reply row's median the same way: its
p99/p50 is what the machine alone adds to identical work (on a 2-vCPU VM about 1.6-1.8).

Hostile inputs (last section): 100 KB of one unit repeated (runs of digits and separators, "@", dots, unicode
digits, zero-width characters...), each detector timed as the scanner calls it, best of 3, thread CPU time and
wall clock; then the whole-text path of the number detectors, the digit-run pass, normalisation and whole scans.

Targets: p99 <= 100 us at 200 characters (both kinds), <= 500 us at 2,000 (issue 4 asked 50 and 300); no
detector over 10 ms on a 100 KB input (issue 13).
Run: ``python benchmarks/governance.py``.
"""

from __future__ import annotations

import gc
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gatekit.governance import load_policy  # noqa: E402
from gatekit.governance.detectors import DEFAULT_SCANNER  # noqa: E402
from gatekit.governance.detectors.phone import _international_ok as _phone_international_ok  # noqa: E402
from gatekit.governance.detectors.phone import _valid as _phone_valid  # noqa: E402
from gatekit.governance.injection import injection_score  # noqa: E402

DATA = Path(os.environ.get("GATEKIT_SHARED_DATA") or ROOT.parent / "shared" / "data")
N = 2000
ROUNDS = 5
WARMUP = 300


def _outputs(size: int, count: int, rng: random.Random) -> list[str]:
    texts = [r["full_text"] for r in json.loads((DATA / "presidio-synth" / "synth_dataset_v2.json").read_text())]
    corpus = " ".join(texts)
    out = []
    for _ in range(count):
        start = rng.randrange(0, len(corpus) - size)
        out.append(corpus[start : start + size])
    return out


_SENTENCES = (
    "Thanks {first}, I've verified your account.",
    "I found order {order}; it was delivered on {day} November and contains {count} items.",
    "I've started the return for {order}; a refund of ${amount} goes back to your original payment method "
    "within 5-7 business days.",
    "The exchange for the {item} in {order} is arranged, and you'll get a return label by email.",
    "Your order {order} is cancelled and the refund is on its way.",
    "I've updated the shipping address of {order} to {city}, {zip}.",
    "Is there anything else I can help you with today?",
    "Sorry for the trouble with your {item}, {first}.",
)
_EMAIL_SENTENCE = "A confirmation has been sent to {email}."
_PHONE_SENTENCE = "If anything is unclear, call us at {phone}."
_ITEMS = ("mechanical keyboard", "smart thermostat", "desk lamp", "water bottle", "hiking boots", "backpack")
_CITIES = ("Philadelphia", "Denver", "San Antonio", "Columbus", "Fort Worth", "Seattle")


def _replies(size: int, count: int, rng: random.Random) -> list[tuple[str, list[dict[str, Any]]]]:
    """Realistic support replies of ``size`` characters with tau2-bench tool calls, one per decision."""
    tasks = json.loads((DATA / "tau2-retail" / "tasks.json").read_text())
    actions = [t["evaluation_criteria"]["actions"] for t in tasks if t["evaluation_criteria"]["actions"]]
    names = [a["arguments"]["first_name"] for acts in actions for a in acts if "first_name" in a["arguments"]]
    out = []
    for _ in range(count):
        first = rng.choice(names)
        values = {
            "first": first,
            "order": f"#W{rng.randrange(10**6, 10**7)}",
            "day": rng.randrange(1, 29),
            "count": rng.randrange(1, 6),
            "amount": f"{rng.randrange(20, 900)}.{rng.randrange(100):02d}",
            "item": rng.choice(_ITEMS),
            "city": rng.choice(_CITIES),
            "zip": str(rng.randrange(10000, 99999)),
            "email": f"{first.lower()}.{rng.choice(names).lower()}{rng.randrange(100, 9999)}@example.com",
            "phone": f"({rng.randrange(200, 999)}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}",
        }
        sentences = rng.sample(_SENTENCES, k=len(_SENTENCES))
        if rng.random() < 0.35:
            sentences.insert(rng.randrange(3), _EMAIL_SENTENCE)
        if rng.random() < 0.15:
            sentences.insert(rng.randrange(3), _PHONE_SENTENCE)
        text = " ".join(sentence.format(**values) for sentence in sentences)
        calls = [{"name": a["name"], "arguments": a["arguments"]} for a in rng.choice(actions)[:3]]
        out.append((text[:size], calls))
    return out


_DENSE_CALLS = [
    {"name": "find_user_id_by_email", "arguments": {"email": "jane.doe@example.com"}},
    {"name": "return_delivered_order_items", "arguments": {"order_id": "#W2378156", "amount": 120.0}},
]


def _response(output: str, tool_calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "output": output,
        "tool_calls": _DENSE_CALLS if tool_calls is None else tool_calls,
        "usage": {"input_tokens": 420, "output_tokens": 90},
        "model": "demo",
        "cost_usd": None,
        "latency_ms": 120.0,
        "error_type": None,
    }


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _load() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:  # pragma: no cover - not on every platform
        return "load n/a"
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cpus)"


def _time(policy: Any, pairs: list[tuple[dict[str, Any], dict[str, Any]]], run: Any) -> tuple[list[float], list[float]]:
    """Wall-clock and thread-CPU latency in microseconds of each decision, GC disabled while timing."""
    evaluate = policy.evaluate
    clock = time.perf_counter_ns
    cpu_clock = time.thread_time_ns
    wall = [0] * len(pairs)
    cpu = [0] * len(pairs)
    gc.collect()
    gc.disable()
    try:
        for index, (case, response) in enumerate(pairs):
            cpu_started = cpu_clock()
            started = clock()
            evaluate(case, response, run)
            wall[index] = clock() - started
            cpu[index] = cpu_clock() - cpu_started
    finally:
        gc.enable()
    return [ns / 1000.0 for ns in wall], [ns / 1000.0 for ns in cpu]


def _fixed_work(loops: int) -> int:
    total = 0
    for index in range(loops):
        total += index * index
    return total


def _floor(target_us: float) -> tuple[float, float]:
    """p50 and p99 (us) of a FIXED pure-Python workload whose median is about ``target_us``, timed like a decision.

    Every call does exactly the same work, so its spread is the machine's (interrupts, the hypervisor, other
    processes), not the code's: the floor under any p99 measured here.
    """
    clock = time.perf_counter_ns
    loops = 64
    while True:  # calibrate: double until one call takes about the target
        started = clock()
        for _ in range(50):
            _fixed_work(loops)
        if (clock() - started) / 50_000 >= target_us / 2:
            break
        loops *= 2
    loops = max(1, int(loops * target_us / ((clock() - started) / 50_000 or 1)))
    samples: list[float] = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(ROUNDS * N):
            started = clock()
            _fixed_work(loops)
            samples.append((clock() - started) / 1000.0)
    finally:
        gc.enable()
    return _pct(samples, 0.5), _pct(samples, 0.99)


def _forget_outputs() -> None:
    """Empty the one cache that holds what earlier outputs contained: phone validation per digit string.

    A service sees some numbers again (its own hotline, a customer's number across turns), so the product keeps
    4,096 results; but every round here replays the same outputs, so without this each later round would only
    hit. Each round starts as a fresh process would: numbers repeated within a round still hit, as they would.
    """
    _phone_valid.cache_clear()
    _phone_international_ok.cache_clear()


def _measure(
    policy: Any, pairs: list[tuple[dict[str, Any], dict[str, Any]]]
) -> tuple[list[float], list[float], list[float], list[float]]:
    run = policy.new_run("bench")
    _time(policy, pairs[:WARMUP], run)
    pooled: list[float] = []
    pooled_cpu: list[float] = []
    round_p99: list[float] = []
    best = [float("inf")] * len(pairs)  # each decision's lowest CPU time over the rounds
    for _ in range(ROUNDS):
        run = policy.new_run("bench")  # fresh budgets and stop counters each round
        _forget_outputs()
        latencies, cpu = _time(policy, pairs, run)
        pooled.extend(latencies)
        pooled_cpu.extend(cpu)
        round_p99.append(_pct(latencies, 0.99))
        best = [min(a, b) for a, b in zip(best, cpu, strict=True)]
    return pooled, round_p99, pooled_cpu, best


def main() -> None:
    rng = random.Random(7)
    policy = load_policy(ROOT / "policies" / "default.yaml")
    cases = [json.loads(line) for line in (ROOT / "datasets" / "retail_golden.jsonl").read_text().splitlines()]
    print(f"policy {policy.id} v{policy.version}: {len(policy.rules)} case rules, {len(policy.stop_rules)} run rules")
    print(f"{ROUNDS} rounds x {N} decisions per size, GC off while timing, perf_counter_ns per decision")
    print(
        f"{'output':>6} {'chars':>6} {'p50 us':>8} {'p99 us':>8} {'p99/round':>10} {'cpu p50':>8} {'cpu p99':>8}"
        f" {'best p99':>8} {'mean us':>8} {'decisions/s':>12}  {'target p99 (wall / cpu)':<26} machine"
    )
    replies = _replies(200, N, rng)
    rows: list[tuple[str, int, float | None, list[tuple[dict[str, Any], dict[str, Any]]]]] = [
        ("reply", 200, 100.0, [(cases[i % len(cases)], _response(o, c)) for i, (o, c) in enumerate(replies)])
    ]
    for size, target in ((200, 100.0), (2000, 500.0), (10_000, None)):
        outputs = _outputs(size, N, rng)
        rows.append(("dense", size, target, [(cases[i % len(cases)], _response(o)) for i, o in enumerate(outputs)]))
    reply_p50 = 0.0
    for kind, size, target, pairs in rows:
        latencies, round_p99, cpu, best = _measure(policy, pairs)
        if kind == "reply":
            reply_p50 = _pct(latencies, 0.5)
        p99, cpu_p99 = _pct(latencies, 0.99), _pct(cpu, 0.99)
        mean = statistics.fmean(latencies)
        verdict = (
            ""
            if target is None
            else f"<= {target:g} {'ok' if p99 <= target else 'MISSED'} / {'ok' if cpu_p99 <= target else 'MISSED'}"
        )
        print(
            f"{kind:>6} {size:>6} {_pct(latencies, 0.5):>8.1f} {p99:>8.1f} {statistics.median(round_p99):>10.1f} "
            f"{_pct(cpu, 0.5):>8.1f} {cpu_p99:>8.1f} {_pct(best, 0.99):>8.1f} {mean:>8.1f} {1e6 / mean:>12.0f}  "
            f"{verdict:<26} {_load()}"
        )
    floor_p50, floor_p99 = _floor(reply_p50)
    print(
        f"machine floor: a fixed pure-Python workload timed the same way, p50 {floor_p50:.1f} us, p99 {floor_p99:.1f} us"
        f" (p99/p50 {floor_p99 / floor_p50:.2f}: the spread this machine adds to identical work)  {_load()}"
    )
    # cold: every decision sees a new customer message (distinct suffix defeats the injection cache)
    cold_outputs: list[tuple[str, list[tuple[str, list[dict[str, Any]] | None]]]] = [
        ("reply", list(_replies(200, N, rng))),
        ("dense", [(o, None) for o in _outputs(200, N, rng)]),
    ]
    for kind, outputs in cold_outputs:
        pairs = []
        for index, (output, calls) in enumerate(outputs):
            cold_case = dict(cases[index % len(cases)])
            text = cold_case["input"]["messages"][0]["content"]
            cold_case["input"] = {"messages": [{"role": "user", "content": f"{text} (ref {kind} {index})"}]}
            pairs.append((cold_case, _response(output, calls)))
        run = policy.new_run("bench-cold")
        _time(policy, pairs[:WARMUP], run)  # warms code paths; these inputs are timed again below
        injection_score.cache_clear()
        DEFAULT_SCANNER.cache.clear()
        latencies, cpu = _time(policy, pairs, policy.new_run("bench-cold"))
        mean_len = statistics.fmean(len(c["input"]["messages"][0]["content"]) for c, _ in pairs)
        print(
            f"cold inputs (distinct customer messages, mean {mean_len:.0f} chars) with 200-char {kind} outputs: "
            f"p50 {_pct(latencies, 0.5):.1f} us, p99 {_pct(latencies, 0.99):.1f} us "
            f"(cpu p50 {_pct(cpu, 0.5):.1f}, p99 {_pct(cpu, 0.99):.1f})  {_load()}"
        )
    texts = [c["input"]["messages"][0]["content"] for c, _ in pairs]
    injection_score.cache_clear()
    gc.disable()
    started = time.perf_counter_ns()
    for text in texts:
        injection_score(text)
    elapsed = time.perf_counter_ns() - started
    gc.enable()
    print(f"injection heuristics alone, first-seen inputs: {elapsed / len(texts) / 1000:.1f} us per input")
    _hostile()


# 100 KB of one unit repeated: the pathological inputs (long runs of digits and separators, "@", ".",
# unicode digits, zero-width characters), those that were slow before the third speed round and, last line, those
# a sweep of random repeated units found slow (ip, e-mail, credential, IBAN, phone), and round 13's quoted-pair
# floods (15-22 ms before), Terraform blocks and Discord tokens
HOSTILE_UNITS = [
    "1", "1 ", "1-", "1.", "1/", "1_", "1 - ", "(1) ", "+1 ", "12-", "1 x ", "555-123-4567 x", "123-45-6789 ",
    "4111 1111 1111 1111 ", "+44 20 7946 0958 ", "1.2.3.4.", "@", "a@", "@a.", " @a.bc", "-@a.bc ", "@a.bc",
    "x@a.bc@", "x@a.bc ", "a.b@c.", ".", "a.", "\u0661\u0662\u0663", "\uff11\uff12\uff13 ", "\u200b", "1\u200b",
    "a\u200b@", "1\u00ad", "1\u00a0", "\uff46", "::", "1:", "ab::", "=", ":", "password=", "password=a1", "token ",
    "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN RSA PRIVATE KEY-----\n", "Bearer abcdefghij1234567 ", "sk-",
    "eyJ", "eyJaaaaaaaaa.", "AKIA", "ghp_", "xoxb-", "GB82 ", "DE89 ", "DE12",
    "token: x", "token: x ", "api_key: ", "secret = 'ab' ", "key: value ", "://", "a://b:", "-\t:", ":\t\"", "=9\t",
    "((3 ", "(3", ")2", "841  ", "7))1", "N=", ":GY", "t:", "/::6", ":@83 :", "a::@",
    "7::0(0)", ",::4#ext", "a@a.bc)token:", "+\u00a0:secret=", "GB82Bearer ", "\u00a0GB82yGB82", "1((", "4 7)9+9(",
    "/(0)42", "1 2 3 4 5 + ",
    '"a", "bcdefgh1", ', 'a", "bcdefgh1', '"api_key", "bcdefgh1", ', 'variable "db_password" {', "token=",
    "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs ", "Mz.aaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "MMf0VQLXGXba7DiWTIegP7NPvu.cMWY5O.aqLyTSK1m5sCWQMF3ciDWAugkUVnxhjc0Ei3-H discord ",
    # (round 14: escapes of machine text, tables, SQL and name / value pairs, message ids, E.164 fields, encoded keys)
    "\\u0040", "a\\u0040b.cd ", "\\n1", "\\t1 ", "&#64;", "a&#x40;b.cd ", "\\u0026#64;", "%40\\u002B&nbsp;1",
    "+1 646 555 0142,6", "2147483648 ", "bytes=0-1 ", '"msisdn": "447911123456", ', "1.2.3.4,", "1.2.3.4,\n",
    "version\n1.2.3.4\n", "|1.2.3.4|\n", "INSERT INTO t (a) VALUES ('1.2.3.4', ", "(v) VALUES (1.2.3.4,", "10.1.0.0 ",
    "Message-ID: <a@b.cd>\n", " <a@b.cd>", "\n <x@a.bc>", "CREATE USER a WITH PASSWORD 'x' ", "create user a ",
    "IDENTIFIED BY ", "alter user a b c d e f g password ", "name: DB_PASSWORD\nvalue: abcdefgh1 ", "name: x\n",
    "pw is abc12345 ", "pw ", "ldapsearch -w x ", "ldapsearch ", "redis-cli -a ", "password,\n", "password,x1234567\n",
    "a,b\n", "| token |\n", "LS0tLS1CRUdJTi", "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t ",
    # (round 14's left: header words past the budget, Oracle's unquoted passwords, E.164 fields of 13-15 digits)
    "monkey,", "monkey,\n", "bypass,turkey,\n", "key\tkey\t\n", "|" + "monkey," * 600 + "|\n", "a|monkey key|\n",
    "API Key,", "password,a\n\n", "user a IDENTIFIED BY Tiger2026x ", "TO a IDENTIFIED BY ", "user IDENTIFIED BY ",
    '"msisdn": "8613812345678", ', '"wa_id": "861381234567890123", ',
    "username,password\nab,cd1234567\n", "id,password\n1,Ab3dEf9hQ\n2,xyz\n", "1 234 567,89\n",
    # (round phone15: a refused match read again inside, a slash after an area code, a switchboard's "-0", "tel:")
    "555 x 2125551234 ", "5 x 212 x 212 x ", "089/1234567/", "0 89/12 34 56 ", "030-1234567-0-", "tel:2125550143:",
    # (rounds dlp16 and secrets16: a spaced slash, a count before a number, spaced IBANs; a password's name and words
    # before its verb, cookies, piped and command-line passwords, Basic credentials)
    "089 / 1234567 ", "089 / ", "12 2125551234 ", "1 12 123 1234 12345 ", "DE 89 ", "DE89  3704  ", "de 12  ab  ",
    "password ", "password x ", "password for the a b c d e f ", "senha do a é ", "wachtwoord van ", "Şifre ",
    "Kennwort ist Kennwort ", "Cookie: sessionid=abcdefgh1;", '<a key="dbPassword" value="', "sshpass -p ",
    "echo a | sudo -S ", "mysql -p'a ", "Basic ", "://a:b@", "contraseña de a ",
    # (round redact16: values written in pieces, escapes of any character, marks, look-alike letters)
    "`1` ", "**a ", "**4111** ", "&#52;", "%34", "a\u0301", "\u0430a", "\u0430", "a=\n", "'1' + '",
]  # fmt: skip
HOSTILE_SIZE = 100_000
# (round norm20) 100 KB texts for normalisation alone, besides the units above: floods of look-alike letters, combining
# marks, ligatures and other characters NFKC makes two or more, several kinds of change mixed, a piece (markdown's marks,
# an escape) next to a long run of look-alike letters or zero-width characters (quadratic, then 10-55 ms, before it)
NORMAL_TEXTS = {
    "\u0430 x 100,000": "\u0430" * HOSTILE_SIZE,
    "a**b + \u0430 x 100,000 + .": "a**b " + "\u0430" * HOSTILE_SIZE + ".",
    "\u0430 x 100,000 + %40": "\u0430" * HOSTILE_SIZE + "%40",
    "\u0430 x 100,000 + a": "\u0430" * HOSTILE_SIZE + "a",
    "'\u0430 ' x 50,000 + a\u0430": "\u0430 " * (HOSTILE_SIZE // 2) + "a\u0430",
    "'1\u200b' x 50,000 + %40": "1\u200b" * (HOSTILE_SIZE // 2) + "%40",
    "\u0301 x 100,000": "\u0301" * HOSTILE_SIZE,
    "\ufb01 x 100,000": "\ufb01" * HOSTILE_SIZE,
    "'\ufb011' x 50,000": "\ufb011" * (HOSTILE_SIZE // 2),
    "'\uff10\u200b\u00ad\ufb01\u2460' x 20,000": "\uff10\u200b\u00ad\ufb01\u2460" * (HOSTILE_SIZE // 5),
    "'a' x 9 + \ufb01, x 10,000": ("a" * 9 + "\ufb01") * (HOSTILE_SIZE // 10),
    "Russian prose": ("\u041f\u0440\u0438\u0432\u0435\u0442, \u0437\u0430\u043a\u0430\u0437 12345. " * 6000)[
        :HOSTILE_SIZE
    ],
}


def _shown(unit: str) -> str:
    """A hostile unit as printed: its repr, a long one cut to 60 characters and its length."""
    shown = repr(unit)
    return shown if len(shown) <= 60 else f"{shown[:57]}... ({len(unit)} chars)"


def _best(function: Any, *args: Any, runs: int = 3) -> tuple[float, float]:
    """Best (thread CPU ms, wall ms) of ``runs`` calls."""
    cpu_best = wall_best = float("inf")
    for _ in range(runs):
        cpu_started, started = time.thread_time_ns(), time.perf_counter_ns()
        function(*args)
        wall_best = min(wall_best, (time.perf_counter_ns() - started) / 1e6)
        cpu_best = min(cpu_best, (time.thread_time_ns() - cpu_started) / 1e6)
    return cpu_best, wall_best


def _hostile() -> None:
    """Per detector its slowest 100 KB hostile text (both the scanner's digit-run path and the whole-text path)."""
    from gatekit.governance.detectors import DEFAULT_DETECTORS
    from gatekit.governance.detectors.base import Runs, digit_runs
    from gatekit.governance.normalise import normalise

    worst: dict[str, tuple[float, float, str]] = {}
    worst_whole: dict[str, tuple[float, float, str]] = {}  # number detectors called without the digit runs
    scans: list[tuple[float, float, str]] = []
    normals: list[tuple[float, float, str]] = []
    terms: list[tuple[float, float, str]] = []  # (normalisation for a terms list: look-alike letters, pieces joined)
    runs_times: list[tuple[float, float, str]] = []
    gc.collect()
    gc.disable()
    try:
        for unit in HOSTILE_UNITS:
            text = (unit * (HOSTILE_SIZE // len(unit) + 1))[:HOSTILE_SIZE]
            subject = normalise(text).text
            runs = digit_runs(subject)
            for detector in DEFAULT_DETECTORS:
                name = f"{detector.type}/{type(detector).__name__}"
                if detector.candidates_from == "digit_runs":  # as the scanner calls it; and on the whole text
                    # (a fresh copy of the runs per call: the windows computed from them are not kept between calls)
                    cpu, wall = _best(lambda d=detector, s=subject, r=runs: d.findings(s, Runs(r, r.zeros)))
                    whole = _best(detector.findings, subject)
                    if whole[0] > worst_whole.get(name, (0.0, 0.0, ""))[0]:
                        worst_whole[name] = (*whole, unit)
                else:
                    cpu, wall = _best(detector.findings, subject)
                if cpu > worst.get(name, (0.0, 0.0, ""))[0]:
                    worst[name] = (cpu, wall, unit)
            runs_times.append((*_best(digit_runs, subject), unit))
            scans.append((*_best(DEFAULT_SCANNER.scan, text, runs=2), unit))
            normals.append((*_best(normalise, text, runs=2), unit))
            terms.append((*_best(lambda t=text: normalise(t, confusables=True), runs=2), unit))
        for name, text in NORMAL_TEXTS.items():
            normals.append((*_best(normalise, text, runs=2), name))
            terms.append((*_best(lambda t=text: normalise(t, confusables=True), runs=2), name))
    finally:
        gc.enable()
    print(
        f"hostile 100 KB texts ({len(HOSTILE_UNITS)} units repeated): each detector's slowest as the scanner calls it"
        f" (digit runs found once per text, not counted), best of 3, thread CPU ms (wall ms), target 10 ms  {_load()}"
    )
    for name, (cpu, wall, unit) in sorted(worst.items(), key=lambda item: -item[1][0]):
        print(f"  {name:<38}{cpu:>8.2f} ({wall:.2f}) ms  on {_shown(unit)}  {'ok' if cpu <= 10 else 'OVER'}")
    whole = sorted(((cpu, wall, name, unit) for name, (cpu, wall, unit) in worst_whole.items()), reverse=True)
    print(
        "  number detectors called without the digit runs (a direct call, not the scanner's path; the phone detector finds"
        " them itself): "
        + ", ".join(f"{name} {cpu:.2f} ({wall:.2f}) ms on {_shown(unit)}" for cpu, wall, name, unit in whole[:3])
    )
    print(
        "  digit runs, slowest: "
        + ", ".join(
            f"{cpu:.2f} ({wall:.2f}) ms on {_shown(unit)}" for cpu, wall, unit in sorted(runs_times, reverse=True)[:2]
        )
    )
    print(
        f"  normalisation (the units above and {len(NORMAL_TEXTS)} texts of its own, target 5 ms), slowest: "
        + ", ".join(f"{cpu:.2f} ({wall:.2f}) ms on {_shown(unit)}" for cpu, wall, unit in sorted(normals, reverse=True)[:3])
    )
    print(
        "  normalisation for a terms list, slowest: "
        + ", ".join(f"{cpu:.2f} ({wall:.2f}) ms on {_shown(unit)}" for cpu, wall, unit in sorted(terms, reverse=True)[:3])
    )
    print(
        "  whole scans (normalisation, digit runs, every detector, overlaps), slowest: "
        + ", ".join(f"{cpu:.2f} ({wall:.2f}) ms on {_shown(unit)}" for cpu, wall, unit in sorted(scans, reverse=True)[:3])
    )


if __name__ == "__main__":
    main()
