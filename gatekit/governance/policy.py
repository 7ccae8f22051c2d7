"""Policy files: load and validate, evaluate every rule on a case, keep per-run state, write traces."""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gatekit.errors import PolicyError
from gatekit.governance.expressions import ExpressionError
from gatekit.governance.rules import known_kinds, rule_class
from gatekit.governance.rules.base import BaseRule, Evaluation, Fired, KeyName, Span, apply_spans, scalar_text
from gatekit.governance.schema import PolicyFile, upgrade_vocabulary
from gatekit.models import Decision, Outcome

# OpenTelemetry GenAI security semantic conventions (development status) decision types
OTEL_DECISION_TYPE = {
    Outcome.ALLOW: "allow",
    Outcome.ALLOW_WITH_REDACTION: "modify",
    Outcome.REQUIRE_REVIEW: "warn",
    Outcome.DENY: "deny",
}
WITHHELD = "[WITHHELD: a redaction rule failed]"
_BY_RANK = (Outcome.ALLOW, Outcome.ALLOW_WITH_REDACTION, Outcome.REQUIRE_REVIEW, Outcome.DENY)
_RANK = {outcome: rank for rank, outcome in enumerate(_BY_RANK)}
_VALUE = {outcome: outcome.value for outcome in _BY_RANK}  # ``.value`` is a Python-level descriptor call
_DENY, _REVIEW = Outcome.DENY, Outcome.REQUIRE_REVIEW  # (``Outcome.DENY`` is a metaclass attribute read, ~60 ns)


class RunState:
    """Per-run counters that budgets and emergency stops read; one per gate run.

    ``stop_reason`` becomes a string when a run-level emergency stop fires; the replay
    then stops and the verdict fails with that reason.
    """

    def __init__(self, run_id: str = "") -> None:
        self.run_id = run_id
        self.cases = 0
        self.deny_count = 0
        self.review_count = 0
        self.redaction_count = 0
        self.error_count = 0
        self.rule_counts: dict[str, int] = {}
        self.stop_reason: str | None = None
        self.stop_rule: str | None = None
        self.stopped_at_case: str | None = None
        # scratch space for stateful rules (token budgets), keyed by rule id
        self.rule_state: dict[str, Any] = {}
        # notes of the case being decided (:meth:`note`); moved onto its Decision
        self.case_notes: list[str] = []

    def note(self, text: str) -> None:
        """Record on the case being decided a check a rule could not make, and why (shown in traces and the report)."""
        self.case_notes.append(text)

    @property
    def violation_count(self) -> int:
        """Cases decided DENY so far."""
        return self.deny_count

    def metrics(self, names: frozenset[str] | None = None) -> dict[str, Any]:
        """Names visible to emergency-stop expressions (only ``names`` when given: cheaper)."""
        cases = self.cases
        values: dict[str, Any] = {
            "cases": cases,
            "violation_count": self.deny_count,
            "deny_count": self.deny_count,
            "review_count": self.review_count,
            "redaction_count": self.redaction_count,
            "error_count": self.error_count,
            "deny_rate": self.deny_count / cases if cases else 0.0,
            "review_rate": self.review_count / cases if cases else 0.0,
            "error_rate": self.error_count / cases if cases else 0.0,
        }
        if names is None or "rules" in names:  # the per-rule counts are the only costly value
            values["rules"] = dict(self.rule_counts)
        return values

    def record(self, decision: Decision, error_type: str | None) -> None:
        """Count one decided case."""
        self.cases += 1
        outcome = decision.outcome
        if outcome is _DENY:
            self.deny_count += 1
        elif outcome is _REVIEW:
            self.review_count += 1
        if decision.redactions:
            self.redaction_count += 1
        if error_type:
            self.error_count += 1
        rules = decision.rules
        if rules:
            counts = self.rule_counts
            for rule_id in {r["id"] for r in rules} if len(rules) > 1 else (rules[0]["id"],):
                counts[rule_id] = counts.get(rule_id, 0) + 1


def _yaml_line(root: Any, path: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``path`` (deepest existing node), or None."""
    import yaml

    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = key if part == path[-1] else value
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _first_error(exc: ValidationError, model: Any = None) -> tuple[tuple[Any, ...], str]:
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    if err["type"] == "extra_forbidden":  # (with the key meant, when one is close: 'rulez' -> 'rules')
        from gatekit.yamlio import did_you_mean

        return loc, f"unknown key {loc[-1]!r}; {did_you_mean(model, tuple(str(part) for part in loc))}"
    if err["type"] == "missing":
        return loc, f"missing required key {loc[-1]!r}"
    message = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    if err["type"] == "string_type" and isinstance(value, date):  # (YAML 1.1 reads 2024-01-01 as a date)
        return loc, f"{value.isoformat()} is not text: YAML reads it as a date; put it in quotes"
    if err["type"] in _SHAPE_ERRORS:  # (pydantic's "Input should be a valid list": what to write instead)
        from gatekit.yamlio import _problem, _yaml_value

        if err["type"] in ("bool_type", "bool_parsing"):
            return loc, f"expected true or false, got {_yaml_value(value)}"
        return loc, _problem(dict(err))
    if err["type"] == "string_type" and isinstance(value, bool | int | float):  # (YAML read the text as a value)
        if loc and loc[-1] == "[key]":
            loc = loc[:-2]  # (the mapping: pydantic names the key as it read it, 1 for true)
            message = f"the key {_yaml_scalar(value)} is not text"
        else:
            message = f"{_yaml_scalar(value)} is not text"
        what = "a boolean (yes, no, on, off, true, false)" if isinstance(value, bool) else "a number"
        message += f": YAML reads it as {what}; put it in quotes"
    return loc, message


_SHAPE_ERRORS = frozenset(
    {"list_type", "dict_type", "model_type", "model_attributes_type", "bool_type", "bool_parsing"}
)


def _yaml_scalar(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else repr(value)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, bool):  # (a mapping key YAML read as a boolean: not a list index)
            part = _yaml_scalar(part)
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class Policy:
    """A loaded policy: rules built once, evaluated on every case."""

    def __init__(self, spec: PolicyFile, rules: list[BaseRule], *, path: str, sha256: str) -> None:
        self.id = spec.id
        self.version = spec.version
        self.description = spec.description
        self.path = path
        self.sha256 = sha256
        self.rules: list[BaseRule] = [r for r in rules if not getattr(r, "run_level", False)]
        self.stop_rules: list[BaseRule] = [r for r in rules if getattr(r, "run_level", False)]
        for rule in rules:
            rule.bind(rules)
        # what evaluate() reads per rule, looked up once
        self._plan: list[tuple[BaseRule, str, str, list[str]]] = [(r, r.id, r.kind, r.owasp) for r in self.rules]

    def new_run(self, run_id: str = "") -> RunState:
        """Fresh per-run state (budgets, counters, emergency stops)."""
        return RunState(run_id)

    def plan_of(self, keep: Callable[[BaseRule], bool]) -> list[tuple[BaseRule, str, str, list[str]]]:
        """The evaluation plan of the case rules ``keep`` accepts, for :meth:`evaluate`'s ``plan``.

        The runtime guard decides at several points of one request (the input, each tool call, the
        response); each point runs the rules that can see what it has.
        """
        return [item for item in self._plan if keep(item[0])]

    def evaluate(
        self,
        case: dict[str, Any],
        response: dict[str, Any],
        run: RunState | None = None,
        *,
        plan: list[tuple[BaseRule, str, str, list[str]]] | None = None,
        record: bool = True,
        account: Any = None,
    ) -> Decision:
        """Judge one case: every rule runs (or those of ``plan``), the strongest outcome wins, redactions applied.

        ``record=False`` leaves the counting on ``run`` to the caller (:meth:`record`), who may amend the decision first.
        ``account``: the request judged more than once (the runtime; ``rules.tools.Account``) that per-minute tool
        rates count the calls for (None: the case is counted as itself).
        """
        started = time.perf_counter_ns()
        if run is None:
            run = RunState()
        ev = Evaluation(case, response, run, account)
        fired_rules: list[dict[str, Any]] = []
        reasons: list[str] = []
        rank = 0
        withhold = False
        for rule, rule_id, kind, owasp in self._plan if plan is None else plan:
            try:
                fired = rule.evaluate(ev)
            except Exception as exc:  # noqa: BLE001 - fail closed: a broken rule denies
                fired = [Fired(Outcome.DENY, f"rule error: {type(exc).__name__}: {exc}")]
                withhold = withhold or bool(getattr(rule, "redacts", False))
            for item_outcome, reason in fired:
                item_rank = _RANK[item_outcome]
                if item_rank > rank:
                    rank = item_rank
                fired_rules.append(
                    {"id": rule_id, "kind": kind, "outcome": _VALUE[item_outcome], "reason": reason, "owasp": owasp}
                )
                reasons.append(f"{rule_id}: {reason}")
        if withhold or ev.redactions:
            redacted_output, redacted_calls, counts = self._redact(ev, withhold)
            decision = Decision(_BY_RANK[rank], fired_rules, reasons, redacted_output, redacted_calls, counts)
        else:  # (nothing to redact: the output and the calls as they are, no call)
            decision = Decision(_BY_RANK[rank], fired_rules, reasons, ev.output, ev.tool_calls, {})
        if run.case_notes:
            decision.notes = run.case_notes
            run.case_notes = []
        if record:  # (what :meth:`record` does, inline)
            run.record(decision, response.get("error_type"))
            if run.stop_reason is None and self.stop_rules:
                self._check_stops(run, case)
        decision.decision_latency_us = (time.perf_counter_ns() - started) / 1000.0
        return decision

    def record(self, run: RunState, decision: Decision, case: dict[str, Any], error_type: str | None = None) -> None:
        """Count a decided case on ``run`` and check the emergency stops (what :meth:`evaluate` does after deciding)."""
        run.record(decision, error_type)
        if run.stop_reason is None and self.stop_rules:
            self._check_stops(run, case)

    def restore(self, case: dict[str, Any], response: dict[str, Any], decision: Decision, run: RunState) -> None:
        """Replay a case decided by an earlier, interrupted run on ``run`` (``--resume``).

        ``decision`` (saved) stands; the stateful rules (``stateful = True``: token budgets) see
        the case again so their windows hold its tokens, the counters record it and emergency
        stops are checked, exactly as :meth:`evaluate` left the run state.
        """
        ev = Evaluation(case, response, run)
        for rule in self.rules:
            if getattr(rule, "stateful", False):
                try:
                    rule.evaluate(ev)
                except Exception:  # noqa: BLE001,S110 - evaluate() denied this case already; state as far as it got
                    pass
        run.case_notes = []  # (the saved decision carries its notes; the next case's must not start with them)
        run.record(decision, response.get("error_type"))
        if run.stop_reason is None and self.stop_rules:
            self._check_stops(run, case)

    def _check_stops(self, run: RunState, case: dict[str, Any]) -> None:
        for stop in self.stop_rules:
            try:
                stop_reason = stop.check_run(run)  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - fail closed: a broken stop rule stops the run
                stop_reason = f"rule error: {type(exc).__name__}: {exc}"
            if stop_reason:
                run.stop_reason = f"emergency stop {stop.id!r}: {stop_reason}"
                run.stop_rule = stop.id
                run.stopped_at_case = str(case.get("id"))
                break

    @staticmethod
    def _redact(ev: Evaluation, withhold: bool) -> tuple[str, list[dict[str, Any]], dict[str, int]]:
        counts: dict[str, int] = {}
        if withhold:
            calls = [{"name": c.get("name"), "arguments": WITHHELD} for c in ev.tool_calls]
            return (WITHHELD if ev.output else ""), calls, counts
        output = ev.output
        calls = ev.tool_calls
        redactions = ev.redactions
        if not redactions:
            return output, calls, counts
        spans = redactions.get("output")
        if spans is not None:
            output = apply_spans(output, spans, counts)
        if len(redactions) > (spans is not None):  # (texts of the tool-call arguments too)
            calls = _redact_calls(calls, redactions, counts)
        if len(counts) > 1:
            counts = dict(sorted(counts.items()))
        return output, calls, counts

    def trace_record(self, decision: Decision, case: dict[str, Any], run_id: str = "") -> dict[str, Any]:
        """One ``governance_traces.jsonl`` row: JSON-ready, never a raw sensitive value.

        The context values and the case's timestamp are the caller's data (a user id may be an e-mail
        address): they are scrubbed here. The case id, the reasons and the tool names are the caller's to
        scrub (the gate refuses ids with findings and scrubs the decision; the runtime guard scrubs both).
        """
        from gatekit.redact import scrub_field

        context = case.get("context") if isinstance(case.get("context"), dict) else {}
        assert isinstance(context, dict)
        tool_names = [str(c.get("name") or "") for c in decision.redacted_tool_calls]
        owasp = sorted({o for r in decision.rules for o in r.get("owasp", [])})
        return {
            "timestamp": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "run_id": run_id,
            "case_id": case.get("id"),
            "case_timestamp": _shown_timestamp(case.get("timestamp")),
            "policy": {"id": self.id, "version": self.version, "sha256": self.sha256},
            "outcome": decision.outcome.value,
            "rules": decision.rules,
            "reasons": decision.reasons,
            "context": {key: scrub_field(context.get(key)) for key in ("user", "role", "env", "scope")},
            "actions": {"tool_names": tool_names, "tool_call_count": len(tool_names)},
            "redactions": dict(decision.redactions),
            "notes": decision.notes,
            "decision_latency_us": round(decision.decision_latency_us, 2),
            # OpenTelemetry GenAI security attributes (apply_guardrail span, development status)
            "attributes": {
                "gen_ai.operation.name": "apply_guardrail",
                "gen_ai.guardian.name": "gatekit",
                "gen_ai.security.decision.type": OTEL_DECISION_TYPE[decision.outcome],
                "gen_ai.security.decision.reason": ",".join(sorted({r["id"] for r in decision.rules})),
                "gen_ai.security.policy.id": self.id,
                "gen_ai.security.policy.version": self.version,
                "gen_ai.security.content.redacted": bool(decision.redactions),
                "gen_ai.security.risk.category": owasp,
            },
        }


# a time as RFC 3339 text, or epoch seconds / milliseconds: written as they are (no detector reads a time)
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?|\d{9,10}(?:\.\d+)?|\d{12,13}"
)


def _shown_timestamp(value: Any) -> Any:
    """A case's timestamp as a trace writes it: a plain RFC 3339 time as is (the guard's own), anything else scrubbed."""
    if isinstance(value, str | int | float) and not isinstance(value, bool) and _RFC3339.fullmatch(str(value)):
        return value
    from gatekit.redact import scrub_field

    return scrub_field(value)


def _redact_calls(
    calls: list[dict[str, Any]], redactions: dict[Any, dict[tuple[int, int], Span]], counts: dict[str, int]
) -> list[dict[str, Any]]:
    """``calls`` with the tool-argument and tool-result texts of ``redactions`` redacted.

    Keys ``("tool", i, *path)`` address the arguments of call ``i``, ``("result", i, field, *path)`` the result
    attached to it. Copy-on-write: each container on the way to a redacted text is copied the first time through, the rest
    is shared with the response, which stays as it was.
    """
    redacted: list[dict[str, Any]] | None = None
    flat: dict[int, dict[Any, Any]] = {}  # call index -> its argument mapping, copied
    keys: list[tuple[Any, ...]] = []  # the other paths
    for key, spans in redactions.items():
        if type(key) is not tuple or (key[0] != "tool" and key[0] != "result"):
            continue
        if redacted is None:
            redacted = list(calls)
        if len(key) == 3 and type(key[2]) is str and key[0] == "tool":  # (the usual: a flat argument, no walk)
            index, name = key[1], key[2]
            arguments = flat.get(index)
            if arguments is None:
                call = redacted[index] = dict(redacted[index])
                arguments = flat[index] = call["arguments"] = dict(call["arguments"])
            value = arguments[name]
            text = value if type(value) is str else scalar_text(value) or ""
            arguments[name] = apply_spans(text, spans, counts)
        else:
            keys.append(key)
    if redacted is None:
        return calls
    calls = redacted
    if not keys:
        return calls
    if [key for key in keys if isinstance(key[-1], KeyName)]:
        # mapping keys are renamed last, the deepest first: the other paths still name the keys as they were
        # (without a key to rename the order does not matter: every path ends at its own string)
        keys.sort(key=lambda key: (isinstance(key[-1], KeyName), -len(key)))
    mine: set[int] = set()  # ids of the containers copied so far
    for index, arguments in flat.items():
        mine.update((id(calls[index]), id(arguments)))
    for key in keys:
        spans = redactions[key]
        # walk from the call down to the redacted string, copying each container the first time through
        parent: Any = calls
        slot: Any = key[1]
        for part in ("arguments", *key[2:]) if key[0] == "tool" else key[2:]:  # (a result: its field of the call)
            child = parent[slot]
            if id(child) not in mine:
                child = parent[slot] = dict(child) if isinstance(child, dict) else list(child)
                mine.add(id(child))
            parent, slot = child, part
        if isinstance(slot, KeyName):  # a mapping key: the redacted text becomes the key
            renamed = apply_spans(scalar_text(slot.name) or "", spans, counts)
            unique, number = renamed, 1
            while unique in parent:  # two keys redacted alike both stay
                number += 1
                unique = f"{renamed} #{number}"
            parent[unique] = parent.pop(slot.name)
        else:  # a string, or a number / bytes value, which becomes the redacted string
            parent[slot] = apply_spans(scalar_text(parent[slot]) or "", spans, counts)
    return calls


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    """Print a load-time warning to stderr, once per process (a policy may be loaded many times)."""
    if message not in _WARNED:
        _WARNED.add(message)
        print(message, file=sys.stderr)


def _build(raw: Any, *, path: str, sha256: str, root: Any) -> Policy:
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: a policy file must be a mapping with id, version and rules")
    try:
        spec = PolicyFile.model_validate(raw)
    except ValidationError as exc:
        loc, message = _first_error(exc, PolicyFile)
        line = _yaml_line(root, loc)
        where = f"{path}:{line}" if line else path
        raise PolicyError(f"{where}: {_dotted(loc) or 'policy'}: {message}") from None
    rules: list[BaseRule] = []
    seen: set[str] = set()
    places: dict[str, str] = {}  # rule id -> "file:line: rules[i]" (for the emergency stops' check below)
    for index, rule_raw in enumerate(spec.rules):
        base_loc: tuple[Any, ...] = ("rules", index)
        line = _yaml_line(root, base_loc)
        where = f"{path}:{line}" if line else path
        kind = rule_raw.get("kind") if isinstance(rule_raw, dict) else None
        if not isinstance(kind, str):
            valid = ", ".join(known_kinds())
            if kind is None:
                raise PolicyError(f"{where}: rules[{index}]: missing 'kind'; valid kinds: {valid}")
            from gatekit.yamlio import _yaml_value

            # (was "missing 'kind'" for `kind: [tools]` or `kind: yes`: the key is there, its value is no kind name)
            line = _yaml_line(root, (*base_loc, "kind"))
            at = f"{path}:{line}" if line else where
            raise PolicyError(f"{at}: rules[{index}].kind: {_yaml_value(kind)} is no kind name; write one of: {valid}")
        cls = rule_class(kind)
        if cls is None:
            import difflib

            close = difflib.get_close_matches(kind, known_kinds(), n=1, cutoff=0.75)
            meant = f"did you mean {close[0]!r}? fix the spelling; " if close else ""
            raise PolicyError(
                f"{where}: rules[{index}]: unknown rule kind {kind!r}; {meant}valid kinds: {', '.join(known_kinds())}"
            )
        try:
            rule_raw, deprecated = upgrade_vocabulary(rule_raw)
        except ValueError as exc:
            raise PolicyError(f"{where}: rules[{index}]: {exc}") from None
        if deprecated:
            _warn_once(f"{where}: warning: rules[{index}] ({rule_raw.get('id')}): {deprecated}")
        try:
            config = cls.Config.model_validate(rule_raw)
        except ValidationError as exc:
            loc, message = _first_error(exc, cls.Config)
            if deprecated and loc and loc[0] in ("outcome", "outcomes"):  # point at the key the file has
                loc = ("action" if loc[0] == "outcome" else "actions", *loc[1:])
            line = _yaml_line(root, base_loc + loc)
            where = f"{path}:{line}" if line else path
            field = f".{_dotted(loc)}" if loc else f" ({config_id})" if (config_id := rule_raw.get("id")) else ""
            raise PolicyError(f"{where}: rules[{index}]{field}: {message}") from None
        if config.id in seen:
            raise PolicyError(f"{where}: rules[{index}]: duplicate rule id {config.id!r}; rule ids must be unique")
        seen.add(config.id)
        places[config.id] = f"{where}: rules[{index}]"
        if not config.enabled:
            continue
        try:
            rules.append(cls(config))
        except (ExpressionError, ValueError) as exc:
            raise PolicyError(f"{where}: rules[{index}] ({config.id}): {exc}") from None
        except PolicyError as exc:
            raise PolicyError(f"{where}: {exc}") from None
    _check_stop_references(rules, seen, places)
    return Policy(spec, rules, path=path, sha256=sha256)


def _check_stop_references(rules: list[BaseRule], seen: set[str], places: dict[str, str]) -> None:
    """An emergency stop reading ``rules.<id>`` of a rule the policy does not run would never stop the run."""
    running = {rule.id for rule in rules if not getattr(rule, "run_level", False)}
    for rule in rules:
        referenced = getattr(rule, "referenced_rules", None)
        if referenced is None:
            continue
        for name in referenced():
            if name in running:
                continue
            if name in seen:
                problem = f"rule {name!r} is disabled (enabled: false) or is itself a stop rule, so it never fires"
            else:
                problem = f"the policy has no rule {name!r}"
            known = ", ".join(sorted(running)) or "none"
            raise PolicyError(
                f"{places[rule.id]} ({rule.id}): when reads rules.{name} but {problem}; the count would never "
                f"grow and the stop never hold; name one of the policy's rules: {known}"
            )


def load_policy(path: str | Path) -> Policy:
    """Read, validate and build the policy at ``path``; raises PolicyError naming the file and line."""
    import errno

    import yaml

    from gatekit.fsio import MAX_YAML_BYTES, decode_utf8, missing_file_hint, read_input_bytes
    from gatekit.yamlio import load_yaml, yaml_fix

    file = Path(path)
    try:
        data = read_input_bytes(file, MAX_YAML_BYTES)
    except OSError as exc:
        hint = missing_file_hint(file) if exc.errno == errno.ENOENT else ""
        reason = str(exc.strerror or exc).removesuffix("; check the path")  # (the size limit's reason says it too)
        raise PolicyError(f"{file}: cannot read policy file: {reason}; check the path{hint}") from None
    try:
        text = decode_utf8(data, bom=False)
    except UnicodeDecodeError as exc:  # replacement characters would make a term or pattern that never matches
        raise PolicyError(f"{file}: {exc}") from None
    try:
        raw, root = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise PolicyError(f"{where}: invalid YAML: {problem}; {yaml_fix(problem)}") from None
    policy = _build(raw, path=str(file), sha256=hashlib.sha256(data).hexdigest(), root=root)
    # no rule at all: every case would be allowed unjudged and governance coverage read 100 %
    if not policy.rules and not policy.stop_rules:
        raise PolicyError(
            f"{file}: the policy has no rule to run (rules: [] or every rule enabled: false): it would allow "
            "every case unjudged; add at least one rule"
        )
    return policy


def policy_from_dict(raw: dict[str, Any], *, name: str = "<policy>") -> Policy:
    """Build a policy from an already-parsed mapping (tests, embedding)."""
    import json

    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return _build(raw, path=name, sha256=digest, root=None)
