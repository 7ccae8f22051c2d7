"""Round redact16: one value, many shapes, through the redaction path (issue 13).

A value the default scanner finds in plain form must be redacted when the agent writes it in another shape, and the
redacted text must not hold it in any form a reader (a browser, a JSON parser, a mail client, a person) turns back
into it. Each shape below failed on main e624669 (the value reached results.jsonl, the report and MLflow):

* escapes of the value's letters and digits, not only of its ``@`` and ``+``: HTML's ``&#52;`` / ``&#X34;`` / named
  references, JSON's ``\\u0034`` (upper-case hex, a surrogate pair of a mathematical digit, a backslash escaped again
  as a repr writes it), a URL's ``%34`` and UTF-8 ``%EF%BC%A0``;
* pieces: markdown's ``**4111** 1111 ...`` and backticks, a JSON string concatenation, a quoted-printable soft line
  break and ``=40``;
* combining marks on the value's characters; Cyrillic and Greek look-alikes in a secret's prefix (``\\u0455k_live_``).

The check is independent of the normaliser: the redacted text is decoded by the standard library (``html``,
``urllib.parse``, ``json``, ``quopri``-style soft breaks, NFKC, combining marks and format characters dropped,
look-alikes mapped) and squashed to letters and digits; the value's letters and digits must not be in it.
"""

from __future__ import annotations

import html
import json
import os
import re
import sqlite3
import subprocess
import sys
import unicodedata
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from conftest import check_linear_on_hostile_unit, found_as

import gatekit
from gatekit.governance import load_policy
from gatekit.governance.detectors import scan

ROOT = Path(__file__).resolve().parents[2]
POLICY = load_policy(ROOT / "policies" / "default.yaml")
CASE = {"id": "c-1", "input": "hi"}
# Latin look-alikes a reader maps back (Unicode confusables.txt; kept here apart from the normaliser's own table)
LOOKALIKES = str.maketrans("\u0410\u041a\u0406\u0455\u043a\u0435\u043e\u0430\u0440\u0441\u0391\u03bf", "AKIskeoapcAo")

VALUES = {
    "email": ("jane.doe@example.com", "janedoeexamplecom"),
    "card": ("4111 1111 1111 1111", "4111111111111111"),
    "ssn": ("219-09-9999", "219099999"),
    "phone": ("+1 415 555 2671", "14155552671"),
    "iban": ("DE89370400440532013000", "de89370400440532013000"),
    "aws": ("AKIAZQ7XQ2M3N4P5R6T7", "akiazq7xq2m3n4p5r6t7"),
    "stripe": ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "4ec39hqlyjwdarjtt1zdp7dc"),
}


def reader_text(text: str) -> str:
    """``text`` as a reader recovers it: every escape decoded (three times over), marks and format characters gone."""
    for _ in range(3):
        text = html.unescape(text)
        text = urllib.parse.unquote(text)
        text = re.sub(r"\\+u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
        text = re.sub(r"\\+x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text)
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # (a decoded surrogate pair)
        text = re.sub(r"=\r?\n", "", text).replace("=40", "@")
    kept = []
    for char in text.translate(LOOKALIKES):
        category = unicodedata.category(char)
        if category in ("Cf", "Mn", "Me"):
            continue
        kept.append(str(unicodedata.decimal(char)) if category == "Nd" else unicodedata.normalize("NFKC", char))
    return "".join(kept)


def squashed(text: str) -> str:
    """The letters and digits a reader recovers from ``text``, lower case."""
    return re.sub(r"[^0-9a-z]", "", reader_text(text).lower())


def _math(value: str) -> str:
    return "".join(chr(0x1D7CE + int(c)) if c.isdigit() else c for c in value)


def _json_escape_all(value: str) -> str:
    out = []
    for char in value:
        if ord(char) > 0xFFFF:
            code = ord(char) - 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


SHAPES = {
    "html-decimal-all": lambda v: "".join(f"&#{ord(c)};" for c in v),
    "html-hex-upper-digits": lambda v: "".join(f"&#X{ord(c):X};" if c.isdigit() else c for c in v),
    "html-named": lambda v: v.replace(".", "&period;").replace("@", "&commat;").replace("_", "&lowbar;"),
    "json-all": _json_escape_all,
    "json-upper-hex": lambda v: "".join(f"\\u{ord(c):04X}" if c in "@4_A" else c for c in v),
    "json-math-digits": lambda v: _json_escape_all(_math(v)),
    "repr-doubled-backslash": lambda v: "".join(f"\\\\u{ord(c):04x}" if c in "@4A_" else c for c in v),
    "url-all": lambda v: "".join(f"%{ord(c):02X}" for c in v),
    "url-utf8-fullwidth-at": lambda v: v.replace("@", "%EF%BC%A0"),
    "markdown-bold": lambda v: f"**{v[:4]}**{v[4:]}",
    "markdown-backticks-each": lambda v: " ".join(f"`{part}`" for part in v.split(" ")),
    "json-concatenation": lambda v: f'"{v[:5]}" + "{v[5:]}"',
    "quoted-printable": lambda v: f"{v[: len(v) // 2]}=\n{v[len(v) // 2 :]}".replace("@", "=40"),
    "combining-marks": lambda v: "".join(c + "\u0301" if c.isalnum() else c for c in v),
    "cyrillic-lookalikes": lambda v: v.replace("A", "\u0410", 1).replace("s", "\u0455", 1).replace("e", "\u0435", 1),
}


def _cases() -> list[Any]:
    cases = []
    for value_name, (value, core) in VALUES.items():
        for shape_name, shape in SHAPES.items():
            text = shape(value)
            if core not in squashed(text) or text == value:
                continue  # (the shape does not apply to this value)
            cases.append(pytest.param(text, core, id=f"{value_name}-{shape_name}"))
    return cases


@pytest.mark.parametrize(("text", "core"), _cases())
def test_a_value_in_another_shape_is_redacted_in_the_output_and_the_arguments(text: str, core: str) -> None:
    response = {
        "output": f"Here it is: {text} thanks",
        "tool_calls": [
            {"name": "calculate", "arguments": {"expression": f"note {text} end"}},
            {"name": "calculate", "arguments": {"nested": [{"deeper": [text]}]}},
        ],
    }
    decision = POLICY.evaluate(CASE, response)
    written = decision.redacted_output + json.dumps(decision.redacted_tool_calls, ensure_ascii=False)
    assert core not in squashed(written), written
    assert decision.redactions or decision.outcome.value == "deny", decision.reasons


def test_the_plain_values_are_found() -> None:
    """The premise: each value is found in plain form (so each shape above is the same value, reshaped)."""
    assert [[f.value for f in scan(value)] for value, _ in VALUES.values()] == [[v] for v, _ in VALUES.values()]


@pytest.mark.parametrize(
    "text",
    [
        "Email: j***@e******.com",  # (a mask's stars are no markdown)
        "card ****1111 on file",
        "2**10 = 1024",
        "x = 40 * 3",
        "card=4000 is a code, limit=40abc",  # (``=40`` before no domain: no quoted-printable ``@``)
        "https://x.com/a%2540example.com",  # (a double percent-escape stays one)
        "price: &#36;40 &amp; more",
        '"a" + "b"',
        "Москва, улица Тверская 7",  # (a word of one script stays as written)
        "Αθήνα, ΑΓΛΑΪΑ 12",
        "naïve café crème",
    ],
)
def test_text_without_a_value_keeps_no_finding(text: str) -> None:
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("**Card**4111 1111 1111 1111", "4111 1111 1111 1111"),
        ("Card`4111 1111 1111 1111`", "4111 1111 1111 1111"),
        ("Tel.**415-555-2671**", "415-555-2671"),
        ("Call**+1 415 555 2671**", "+1 415 555 2671"),
        ("IP**10.1.2.3**", "10.1.2.3"),
        ('"Card" + "4111 1111 1111 1111"', "4111 1111 1111 1111"),  # (a concatenation: the same)
    ],
)
def test_a_mark_between_a_word_and_a_value_does_not_glue_them(text: str, value: str) -> None:
    """What joins pieces stays as written between a letter and a digit: removed, it glued the value to the word."""
    assert [f.value.strip("*`") for f in scan(text)] == [value]


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("415-555-2671 219-09-9999", "415-555-2671"),
        ("(415) 555-2671 219-09-9999", "(415) 555-2671"),
        ("+44 20 7946 0958 219-09-9999", "+44 20 7946 0958"),
        ("415-555-2671 2026-01-02", "415-555-2671"),
    ],
)
def test_a_phone_number_right_before_another_number_is_found(text: str, phone: str) -> None:
    """On main the phone number was lost (only a bare group after it was cut off) and reached every output raw."""
    assert [f.value for f in scan(text) if f.type == "PHONE_NUMBER"] == [phone]
    redacted = POLICY.evaluate(CASE, {"output": text}).redacted_output
    assert re.sub(r"\D", "", phone) not in re.sub(r"\D", "", redacted), redacted


def test_a_redacted_span_covers_the_escapes_and_marks_inside_the_value() -> None:
    text = "mail **jane.doe**&#64;exa\u0301mple.com, thanks"
    findings = scan(text)
    assert [(f.type, f.value) for f in findings] == [("EMAIL_ADDRESS", "jane.doe**&#64;exa\u0301mple.com")]
    decision = POLICY.evaluate(CASE, {"output": text})
    assert decision.redacted_output == "mail **[EMAIL_ADDRESS], thanks"


def test_hmac_tokens_of_one_value_in_two_shapes_are_one_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Joinability: the keyed token is of the value as read, not of its escapes (plain values keep their tokens)."""
    from gatekit.governance.policy import policy_from_dict

    monkeypatch.setenv("GK_R16_KEY", "k3y-for-the-test")
    rule = {"id": "pii", "kind": "sensitive_data", "redaction": "hmac", "hmac_key_env": "GK_R16_KEY"}
    policy = policy_from_dict(
        {"id": "h", "version": "1", "rules": [{**rule, "outcomes": {"pii": "allow_with_redaction"}}]}
    )
    texts = ["mail jane.doe@example.com", "mail jane.doe&#64;example.com", "mail **jane.doe**\\u0040example.com"]
    tokens = [
        re.findall(r"\[EMAIL_ADDRESS:[0-9a-f]{12}\]", policy.evaluate(CASE, {"output": t}).redacted_output)
        for t in texts
    ]
    assert len(tokens[0]) == 1 and tokens == [tokens[0]] * 3, tokens


@pytest.mark.parametrize(
    "shape",
    [
        "Project&#32;Falcon",
        "Project&nbsp;Falcon",
        "Proj&#101;ct Falcon",
        "\\u0050roject Falcon",
        "Project%20Falcon",
        "**Project** Falcon",
        "Pro**ject** Falcon",
        '"Project " + "Falcon"',
        "Project Fa\u0301lcon",
    ],
)
def test_a_sensitive_term_in_another_shape_is_redacted(shape: str) -> None:
    """The terms rule reads escapes, pieces and marks as detectors do (on main each of these was written as is)."""
    from gatekit.governance.policy import policy_from_dict

    rule = {"id": "t", "kind": "sensitive_terms", "terms": ["Project Falcon"], "outcome": "allow_with_redaction"}
    policy = policy_from_dict({"id": "t", "version": "1", "rules": [rule]})
    redacted = policy.evaluate(CASE, {"output": f"say {shape} now"}).redacted_output
    assert "[SENSITIVE_TERM]" in redacted and "falcon" not in squashed(redacted), redacted


# --- a real gate run: every file written, the MLflow store, stdout and stderr -------------------------------------

AGENT = """
import json

SHAPES = {
    "html": ("jane.doe&#64;example.com", "&#52;&#49;&#49;&#49; 1111 1111 1111", "&#65;KIAZQ7XQ2M3N4P5R6T7"),
    "json": ("jane.doe\\\\u0040example.com", "\\\\u0034111 1111 1111 1111", "\\\\u0041KIAZQ7XQ2M3N4P5R6T7"),
    "url": ("jane.doe%40example.com", "%34111%201111%201111%201111", "%41KIAZQ7XQ2M3N4P5R6T7"),
    "markdown": ("**jane.doe**@example.com", "**4111** 1111 1111 1111", "`AKIA`ZQ7XQ2M3N4P5R6T7"),
    "marks": ("j\\u0301ane.doe@example.com", "4\\u03011\\u030311\\u0301 1111 1111 1111", "A\\u0301KIAZQ7XQ2M3N4P5R6T7"),
    "math": ("jane.doe@example.com", "\\U0001d7d2\\U0001d7cf\\U0001d7cf\\U0001d7cf 1111 1111 1111", "AKIAZQ7XQ2M3N4P5R6T7"),
    "cyrillic": ("jane.doe@example.com", "4111 1111 1111 1111", "\\u0410KIAZQ7XQ2M3N4P5R6T7"),
    "qp": ("jane.doe=40example.com", "4111 1111 11=\\n11 1111", "AKIAZQ7X=\\nQ2M3N4P5R6T7"),
    "concat": ('"jane.doe@" + "example.com"', '"4111 1111" + " 1111 1111"', '"AKIAZQ7X" + "Q2M3N4P5R6T7"'),
}


def run(case_input, context):
    kind = str(case_input).split("[")[1].split("]")[0]
    if kind == "raise":
        raise RuntimeError("failed on jane.doe&#64;example.com, card &#52;111 1111 1111 1111, \\\\u0041KIAZQ7XQ2M3N4P5R6T7")
    email, card, key = SHAPES[kind]
    return {
        "output": f"mail {email} card {card} key {key}",
        "tool_calls": [
            {"name": f"lookup_{email}", "arguments": {"q": [{"c": card}], email: key}},
            {"name": "calculate", "arguments": {"expression": f"{card} {key}"}},
        ],
        "model": f"m-{key}",
    }
"""
KINDS = ["html", "json", "url", "markdown", "marks", "math", "cyrillic", "qp", "concat", "raise"]
CORES = {"e-mail": "janedoeexamplecom", "card": "4111111111111111", "AWS key": "akiazq7xq2m3n4p5r6t7"}


def _written(root: Path, inputs: set[str]) -> dict[str, str]:
    """Every text the gate wrote under ``root`` (the MLflow store's strings read from sqlite), by where."""
    written: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name in inputs or "__pycache__" in path.parts:
            continue
        name = str(path.relative_to(root))
        if path.suffix == ".db":
            with sqlite3.connect(path) as store:
                tables = [row[0] for row in store.execute("select name from sqlite_master where type='table'")]
                for table in tables:
                    rows = store.execute(f"select * from {table}").fetchall()  # noqa: S608 - the store's own names
                    written[f"{name}:{table}"] = "\n".join(str(v) for row in rows for v in row if isinstance(v, str))
        else:
            written[name] = path.read_bytes().decode("utf-8", "replace")
    return written


def _leaks(written: dict[str, str]) -> list[tuple[str, str]]:
    """(value, where) of each value's core found in a written text, read as detectors read it (see squashed)."""
    return [
        (what, name)
        for name, text in written.items()
        for what, core in CORES.items()
        if any(core in squashed(line) for line in text.splitlines())
    ]


def _gate_run(
    tmp_path: Path, inputs: dict[str, str], agent_on_path: bool
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """``gatekit eval`` of the project ``inputs`` (file name -> text) in ``tmp_path`` with a fresh sqlite MLflow store;
    the process and every text it wrote (files, the store's rows, ``<stdout>``, ``<stderr>``; see _written).
    ``agent_on_path``: the project folder is on PYTHONPATH (a ``python:`` agent)."""
    for name, text in inputs.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    from mlflow_store import fresh_store

    fresh_store(tmp_path / "mlflow.db")
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    code = Path(gatekit.__file__).resolve().parents[1]  # (the gatekit this test imported, in the gate too)
    env["PYTHONPATH"] = os.pathsep.join(
        [*([str(tmp_path)] if agent_on_path else []), str(code), env.get("PYTHONPATH", "")]
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "eval", "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    written = _written(tmp_path, set(inputs))
    written["<stdout>"], written["<stderr>"] = proc.stdout, proc.stderr
    return proc, written


@pytest.mark.slow
def test_a_gate_run_writes_no_reshaped_value_anywhere(tmp_path: Path) -> None:
    """Fails on e624669: the escaped, marked, split and look-alike values reached every file and the store."""
    policy = (ROOT / "policies" / "default.yaml").read_text(encoding="utf-8")
    policy = policy[: policy.index("  - id: stop-on-violations")]  # (every case is decided: no early stop)
    inputs = {
        "hostile_agent_r16.py": AGENT,
        "cases.jsonl": "".join(json.dumps({"id": f"c-{k}", "input": f"please [{k}]"}) + "\n" for k in KINDS),
        "policy.yaml": policy,
        "thresholds.yaml": "min_cases: 1\nchecks:\n  error_rate: {max: 1%}\n",
        "gatekit.yaml": (
            "dataset: cases.jsonl\nagent: python:hostile_agent_r16:run\nthresholds: thresholds.yaml\n"
            "policy: policy.yaml\nout: out\nconcurrency: 1\ntimeout: 10\nretries: 0\nexperiment: redact16\n"
        ),
    }
    proc, written = _gate_run(tmp_path, inputs, agent_on_path=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # (the AWS keys are denied, the raising agent errs)
    results = [json.loads(line) for line in written["out/results.jsonl"].splitlines()]
    assert [r["case_id"] for r in results] == [f"c-{k}" for k in KINDS]
    assert any(name.startswith("mlruns/") and name.endswith("results.jsonl") for name in written)
    assert any(name.startswith("mlflow.db:") for name in written)
    for row in results[:-1]:  # every agent answer was read and redacted
        output = re.sub('[*`"]', "", row["response"]["output"])  # (marks and quotes outside a value stay)
        assert output == "mail [EMAIL_ADDRESS] card [CREDIT_CARD] key [AWS_ACCESS_KEY]", row
    assert "[EMAIL_ADDRESS]" in results[-1]["error_message"]
    assert not _leaks(written), _leaks(written)


CMD_AGENT = r"""
import json, sys, time

time.sleep(0.7)  # (a command that exits within 0.5 s fails the run: this one serves)
for line in sys.stdin:
    kind = str(json.loads(line)["input"]).split("[")[1].split("]")[0]
    sys.stderr.write("log: &#52;111 1111 1111 1111 jane.doe\\u0040example.com \\u0041KIAZQ7XQ2M3N4P5R6T7\n")
    sys.stderr.flush()
    if kind == "error":
        print(json.dumps({"error": "bad: **4111** 1111 1111 1111 jane.doe%40example.com %41KIAZQ7XQ2M3N4P5R6T7"}), flush=True)
    elif kind == "garbage":
        print("not json &#52;111 1111 1111 1111 jane.doe&#64;example.com &#65;KIAZQ7XQ2M3N4P5R6T7", flush=True)
    else:
        print(json.dumps({"output": "ok", "model": "m-\u0410KIAZQ7XQ2M3N4P5R6T7"}), flush=True)
"""


@pytest.mark.slow
def test_a_subprocess_agent_s_errors_stderr_and_garbage_write_no_reshaped_value(tmp_path: Path) -> None:
    """Fails on e624669: a ``cmd:`` agent's error, stderr tail, non-JSON line and model name leaked the values."""
    policy = (ROOT / "policies" / "default.yaml").read_text(encoding="utf-8")
    inputs = {
        "agent_r16.py": CMD_AGENT,
        "cases.jsonl": "".join(
            json.dumps({"id": f"c-{k}", "input": f"[{k}]"}) + "\n" for k in ("error", "garbage", "ok")
        ),
        "policy.yaml": policy[: policy.index("  - id: stop-on-violations")],
        "thresholds.yaml": "min_cases: 1\nchecks:\n  error_rate: {max: 1%}\n",
        "gatekit.yaml": (
            'dataset: cases.jsonl\nagent: "cmd:python agent_r16.py"\nthresholds: thresholds.yaml\npolicy: policy.yaml\n'
            "out: out\nconcurrency: 1\ntimeout: 10\nretries: 0\nexperiment: redact16-cmd\n"
        ),
    }
    proc, written = _gate_run(tmp_path, inputs, agent_on_path=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = {r["case_id"]: r for r in map(json.loads, written["out/results.jsonl"].splitlines())}
    assert "[CREDIT_CARD]" in results["c-error"]["error_message"]
    assert "[EMAIL_ADDRESS]" in results["c-garbage"]["error_message"]
    assert results["c-ok"]["response"]["model"] == "m-[AWS_ACCESS_KEY]"
    assert not _leaks(written), _leaks(written)


@pytest.mark.parametrize(
    "text",
    [
        "**Order #W2378156** has been *cancelled*. Your refund of **$154.32** will go to `credit_card_4421`.",
        "- **Email:** yusuf.rossi@example.com\n- **Phone:** +1 415-555-2671\n",
        "Use `x = a + b` then run `pip install foo==1.2`; see ~/docs for **more**.",
        'print("Hello, " + name + "!")',
    ],
)
def test_a_replys_usual_markdown_and_code_are_read_as_written(text: str) -> None:
    """Marks and a concatenation that split no value leave the text as it is (no join, no map: a reply's markdown
    costs nothing); the values in it are found as on main."""
    from gatekit.governance.normalise import normalise

    normal = normalise(text)
    assert normal.text == text and normal.spots is None


def test_a_text_of_more_pieces_than_the_budget_is_read_as_without_the_join() -> None:
    """Past _PIECES_MAX pieces (a hostile text, no reply) the join is not read: the text is normalised as before round
    redact16 (its values written whole, and in the escapes read before, still found), at a bounded cost."""
    from gatekit.governance import normalise as module

    filler = "`1` " * (module._PIECES_MAX + 1)
    whole = filler + "mail jane.doe&#64;example.com card 4111 1111 1111 1111"
    found = {(f.type, f.value) for f in scan(whole)}
    assert ("EMAIL_ADDRESS", "jane.doe&#64;example.com") in found
    assert ("CREDIT_CARD", "4111 1111 1111 1111") in found
    # past the budget the marks stay as written (the join is not read), under it the same split value is joined
    assert module.normalise(filler + "card **4111** 1111 1111 1111").text.endswith("card **4111** 1111 1111 1111")
    assert module.normalise("`1` " * 10 + "card **4111** 1111").text.endswith("card 4111 1111")
    assert found_as("`1` " * 10 + "card **4111** 1111 1111 1111", "4111** 1111 1111 1111", "CREDIT_CARD")


@pytest.mark.parametrize("unit", ["`1` ", "**a ", "&#52;", "%34", "a\u0301", "\u0430a", "a=\n", "**4111** ", "\u0430"])
def test_normalising_100_kb_of_pieces_stays_linear(unit: str) -> None:
    check_linear_on_hostile_unit(unit)
