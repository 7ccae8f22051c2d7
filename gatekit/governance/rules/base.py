"""The rule interface every rule kind implements, and the per-case evaluation state rules share.

A rule kind is a class with a ``kind`` name, a pydantic ``Config`` model (``extra="forbid"``)
for its YAML, and an ``evaluate(ev)`` method that returns the ways it fired (possibly none).
Rules never mutate the response: they ask :class:`Evaluation` for redactions, and the policy
applies every redaction once, at the end.
"""

from __future__ import annotations

import fnmatch
import functools
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC
from typing import Any, ClassVar, NamedTuple, Protocol

from gatekit.chat import chat_text
from gatekit.governance.detectors import DEFAULT_SCANNER, Finding, Scanner
from gatekit.governance.detectors.base import masked
from gatekit.governance.detectors.registry import MIN_FINDING
from gatekit.governance.rules.interface import BaseRule as BaseRule
from gatekit.governance.rules.interface import RuleConfig as RuleConfig
from gatekit.models import TOOL_RESULT_KEYS, Outcome
from gatekit.rfc3339 import from_rfc3339


class Fired(NamedTuple):
    """One way a rule fired on a case (immutable; a tuple, cheap to build on the hot path)."""

    outcome: Outcome
    reason: str


class Rule(Protocol):
    """What the policy needs from a rule kind."""

    kind: ClassVar[str]
    default_owasp: ClassVar[tuple[str, ...]]
    id: str
    owasp: list[str]

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Return every way this rule fired on the case (an empty list when it did not)."""
        ...


# --- evaluation state ------------------------------------------------------------------------------


class Redaction(NamedTuple):
    """Replace ``text[start:end]`` of one text field with ``replacement`` (plain tuples of these four are used too)."""

    start: int
    end: int
    type: str
    replacement: str


# a pending redaction: (start, end, type, replacement), as in :class:`Redaction`
Span = tuple[int, int, str, str]


# isinstance() with a tuple of types: ``list | tuple`` would build a union object on every call
_SEQUENCE_TYPES = (list, tuple)
_COLLECTION_TYPES = (list, tuple, set, frozenset)
_NUMBER_TYPES = (int, float)
_BYTES_TYPES = (bytes, bytearray, memoryview)


def _walk_strings(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_strings(item, (*path, key))
    elif isinstance(value, _SEQUENCE_TYPES):
        for index, item in enumerate(value):
            yield from _walk_strings(item, (*path, index))


class KeyName(NamedTuple):
    """The last part of a text key that addresses a mapping KEY itself (``{"jane@x.com": 1}``), not its value."""

    name: Any


def scalar_text(value: Any) -> str | None:
    """The text a tool-argument scalar is scanned as (None for None, booleans and containers).

    A string as it is, a number as its decimal string, bytes decoded as UTF-8 with errors replaced.
    """
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool or value is None:
        return None
    if isinstance(value, _NUMBER_TYPES):
        return str(value)
    if isinstance(value, _BYTES_TYPES):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return str(value)
    return None


# a lower-case snake_case key ("order_id", "payment_method_id") holds no value any detector finds: not read
_PLAIN_KEY = re.compile(r"[a-z_]+").fullmatch
_KEY_READ: dict[str, bool] = {}  # argument key -> read as a text (keys come from tool schemas: few distinct)

# the longest name (tool name, argument key, timestamp) a per-name cache keeps: a longer one is judged every time, so
# a caller sending odd names cannot make a long-running guard hold thousands of huge keys (4,096 x 256 chars at most)
MAX_CACHED_NAME = 256
CACHE_ENTRIES = 4096  # entries a per-name cache keeps at most


def _key_is_read(name: str) -> bool:
    """A string mapping key is scanned: five characters or more, and not plain snake_case."""
    read = _KEY_READ.get(name)
    if read is None:
        read = len(name) >= 5 and not _PLAIN_KEY(name)
        if len(_KEY_READ) < CACHE_ENTRIES and len(name) <= MAX_CACHED_NAME:
            _KEY_READ[name] = read
    return read


def _walk_values(value: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every text inside a tool-argument value: strings, numbers, bytes, mapping keys, list/tuple/set members."""
    if isinstance(value, dict):
        for key, item in value.items():
            key_text = scalar_text(key)
            if key_text and len(key_text) >= 5 and not _PLAIN_KEY(key_text):
                yield (*path, KeyName(key)), key_text
            yield from _walk_values(item, (*path, key))
    elif isinstance(value, _COLLECTION_TYPES):
        for index, item in enumerate(value):
            yield from _walk_values(item, (*path, index))
    else:
        text = scalar_text(value)
        if text:
            yield path, text


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalise_key(name: str) -> str:
    """An argument key as identifier patterns see it: camelCase split, ``-`` and spaces as ``_``, lower case.

    ``itemId`` -> ``item_id``, ``productIDs`` -> ``product_ids``, ``Order-ID`` -> ``order_id``.
    """
    return _CAMEL_BOUNDARY.sub("_", name).replace("-", "_").replace(" ", "_").lower()


class ArgumentKeys:
    """A set of tool-argument keys: glob patterns matched against :func:`normalise_key`.

    Identifier keys (a bare run of digits under one, ``"1151293680"``, is an id, not a phone number) and
    credential keys (the value under one is a secret). Build one with :func:`argument_keys` so equal pattern
    lists share one matcher (and so one cached scan result per case, see :meth:`Evaluation.scan_hits`).
    """

    __slots__ = ("patterns", "_regex", "_seen")

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(dict.fromkeys(patterns))
        self._regex = re.compile("|".join(fnmatch.translate(p) for p in self.patterns)) if self.patterns else None
        # (argument keys come from tool schemas: few distinct names, each decided once; names up to
        # MAX_CACHED_NAME characters are kept, a longer one is matched every time)
        self._seen: dict[str, bool] = {}

    def _match(self, name: str) -> bool:
        return self._regex is not None and self._regex.match(normalise_key(name)) is not None

    def matches(self, name: str) -> bool:
        """True when the argument key ``name`` matches one of the patterns."""
        seen = self._seen.get(name)
        if seen is None:
            seen = self._match(name)
            if len(self._seen) < CACHE_ENTRIES and len(name) <= MAX_CACHED_NAME:
                self._seen[name] = seen
        return seen

    def __call__(self, name: str) -> bool:
        """True when the argument key ``name`` matches one of the patterns (also :attr:`matches`)."""
        return self.matches(name)


@functools.lru_cache(maxsize=64)
def argument_keys(patterns: tuple[str, ...]) -> ArgumentKeys:
    """The shared matcher for a tuple of argument-key patterns."""
    return ArgumentKeys(patterns)


def argument_name(key: tuple[Any, ...]) -> str | None:
    """The argument key a tool-argument string sits under: the innermost mapping key of its path.

    ``("tool", 0, "item_ids", 2)`` -> ``"item_ids"`` (a list's items take the list's key);
    ``("tool", 0, "order", "id")`` -> ``"id"``; arguments that are not a mapping -> None.
    """
    index = len(key) - 1
    while index >= 2:
        part = key[index]
        if isinstance(part, str):
            return part
        index -= 1
    return None


ENV_NAMES = frozenset(
    {
        "case",
        "context",
        "input",
        "output",
        "latency_ms",
        "error_type",
        "usage",
        "cost_usd",
        "model",
        "tool_calls",
        "tool_names",
        "time",
        "tool",
    }
)

# the names whose value gatekit builds with fixed keys (``tool``, ``case``, ``time``): any other key reads null on
# every case, so an expression reading one (``tool.argumnts.amount``, ``case.context.env``) could never hold
ENV_FIELDS: dict[str, tuple[str, ...]] = {
    "tool": ("name", "arguments"),
    "case": ("id", "tags", "expected", "timestamp"),
    "time": ("hour", "minute", "weekday", "minute_of_day", "epoch_s"),
}
_FIELD_HINTS = {"case": " (the context is `context`, the input `input`, the answer `output`)"}


def check_fields(expression: Any) -> None:
    """Refuse a read of a key that ``tool``, ``case`` or ``time`` never has (:data:`ENV_FIELDS`): ExpressionError.

    ``tool.argumnts.amount > 500`` read null on every call, so the rule loaded, looked active and never fired.
    """
    import ast
    import difflib

    from gatekit.governance.expressions import ExpressionError

    for node in ast.walk(expression.tree):
        key: Any
        if isinstance(node, ast.Attribute):
            key = node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            key = node.slice.value
        else:
            continue
        base = node.value
        if not isinstance(base, ast.Name) or base.id not in ENV_FIELDS:
            continue
        known = ENV_FIELDS[base.id]
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6) if isinstance(key, str) else []
        meant = f"did you mean {base.id}.{close[0]}? " if close else ""
        raise ExpressionError(
            f"{base.id} has no key {key!r}, so it reads null on every case and the expression never sees it; "
            f"{meant}{base.id} has {', '.join(known)}{_FIELD_HINTS.get(base.id, '')}, in expression "
            f"{expression.source!r}"
        )


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NO_CLOCK: tuple[Any, ...] = (None, None, None, None, None)


def _clock_fields(timestamp: str) -> tuple[Any, ...]:
    """The clock fields of ``timestamp`` (cached when it is no longer than :data:`MAX_CACHED_NAME`)."""
    if len(timestamp) <= MAX_CACHED_NAME:
        return _cached_clock_fields(timestamp)
    return _read_clock_fields(timestamp)


def _read_clock_fields(timestamp: str) -> tuple[Any, ...]:
    try:
        moment = from_rfc3339(timestamp)
    except ValueError:
        return _NO_CLOCK
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (
        moment.timestamp(),
        moment.hour,
        moment.minute,
        _WEEKDAYS[moment.weekday()],
        moment.hour * 60 + moment.minute,
    )


_cached_clock_fields = functools.lru_cache(maxsize=8192)(_read_clock_fields)


def parse_clock(timestamp: Any) -> dict[str, Any]:
    """Virtual clock fields of an ISO timestamp: epoch seconds, hour, minute, weekday, minute_of_day.

    A timestamp without an offset is read as UTC; a missing or unreadable one gives ``None`` values.
    Parsing is cached per timestamp string (a replay sees the same timestamps on every repeat).
    """
    fields = _clock_fields(timestamp) if isinstance(timestamp, str) and timestamp else _NO_CLOCK
    epoch_s, hour, minute, weekday, minute_of_day = fields
    return {"epoch_s": epoch_s, "hour": hour, "minute": minute, "weekday": weekday, "minute_of_day": minute_of_day}


class Evaluation:
    """Everything a rule may look at for one case, plus shared caches and pending redactions.

    Text fields are addressed by a key: ``"output"``, ``"input"``, ``("tool", i, *path)`` for a
    string inside the arguments of tool call ``i``, or ``("result", i, field, *path)`` for one inside the
    result attached to it (``field``: one of :data:`TOOL_RESULT_KEYS`). Each text is scanned for sensitive data at
    most once per case, however many rules ask.
    """

    __slots__ = (
        "case",
        "response",
        "run",
        "context",
        "output",
        "tool_calls",
        "_scans",
        "_other_scans",
        "_input_text",
        "_tool_texts",
        "_hits",
        "redactions",
        "_env",
        "_clock",
        "account",
    )

    def __init__(self, case: dict[str, Any], response: dict[str, Any], run: Any, account: Any = None) -> None:
        self.case = case
        self.response = response
        self.run = run
        self.account = account  # whom stateful rules count this case for (None: the case itself; rules/tools.Account)
        context = case.get("context")
        self.context: dict[str, Any] = context if isinstance(context, dict) else {}
        output = response.get("output")
        self.output: str = output if isinstance(output, str) else ("" if output is None else str(output))
        calls = response.get("tool_calls")
        tool_calls: list[dict[str, Any]] = []
        if calls:
            for call in calls:  # (a loop, not a comprehension: no function object per case)
                if isinstance(call, dict):
                    tool_calls.append(call)
        self.tool_calls = tool_calls
        self._scans: dict[str, list[Finding]] = {}
        self._other_scans: dict[Scanner, dict[str, list[Finding]]] | None = None  # (made when a rule needs it)
        self._input_text: str | None = None
        self._tool_texts: list[tuple[tuple[Any, ...], str]] | None = None
        self._hits: dict[tuple[Any, ...], list[tuple[Any, list[Finding]]]] = {}
        self.redactions: dict[Any, dict[tuple[int, int], Span]] = {}
        self._env: dict[str, Any] | None = None
        self._clock: dict[str, Any] | None = None

    # virtual clock ---------------------------------------------------------------------------
    @property
    def clock(self) -> dict[str, Any]:
        """The case's virtual time from its ``timestamp`` (empty values when it has none)."""
        if self._clock is None:
            self._clock = parse_clock(self.case.get("timestamp"))
        return self._clock

    def epoch_s(self) -> float | None:
        """The case's virtual time in epoch seconds (None without a readable timestamp)."""
        if self._clock is not None:
            return self._clock["epoch_s"]  # type: ignore[no-any-return]
        timestamp = self.case.get("timestamp")
        return _clock_fields(timestamp)[0] if isinstance(timestamp, str) and timestamp else None

    # expression environment ------------------------------------------------------------------
    def env(self, tool: dict[str, Any] | None = None, names: frozenset[str] | None = None) -> dict[str, Any]:
        """Names visible to policy expressions; ``tool`` binds the tool call being checked.

        ``names`` restricts the environment to what an expression uses (cheaper to build).
        """
        if names is not None:
            env = self.values(names)
        else:
            if self._env is None:
                self._env = self.values(ENV_NAMES)
            env = dict(self._env)
        if tool is not None:
            env["tool"] = {"name": tool.get("name"), "arguments": tool.get("arguments") or {}}
        return env

    def values(self, names: Iterable[str]) -> dict[str, Any]:
        """The case-level values of ``names`` (``tool``, bound per call, is left out)."""
        env: dict[str, Any] = {}
        for name in names:
            get = _ENV_VALUES.get(name)
            if get is not None:
                env[name] = get(self)
            elif name != "tool":
                env[name] = self.response.get(name)  # latency_ms, error_type, cost_usd, model
        return env

    def _case_view(self) -> dict[str, Any]:
        case = self.case
        return {
            "id": case.get("id"),
            "tags": case.get("tags") or [],
            "expected": case.get("expected"),
            "timestamp": case.get("timestamp"),
        }

    def _usage(self) -> Any:
        return self.response.get("usage") or {}

    def _tool_names(self) -> list[str]:
        return [str(c.get("name") or "") for c in self.tool_calls]

    # texts -----------------------------------------------------------------------------------
    @property
    def input_text(self) -> str:
        """The case input flattened to text (every message's content, see gatekit.chat)."""
        if self._input_text is None:
            self._input_text = chat_text(self.case.get("input"))
        return self._input_text

    def tool_texts(self) -> list[tuple[tuple[Any, ...], str]]:
        """Every text inside tool-call arguments and the results attached to the calls.

        Argument texts are keyed ``("tool", i, *path)``, result texts (:data:`TOOL_RESULT_KEYS`)
        ``("result", i, field, *path)``. A tool result is untrusted text the agent read (it may hold PII or secrets): the rules that scan
        ``tool_arguments`` read and redact it as they do the arguments, so it is written redacted alike.

        Strings, numbers (their decimal string), bytes (decoded, errors replaced), mapping keys (path ending
        in a :class:`KeyName`) and the members of lists, tuples and sets: a value that is not a string is
        read too, so a card number passed as an int is found (and redacted as a string).
        """
        if self._tool_texts is None:
            texts: list[tuple[tuple[Any, ...], str]] = []
            append = texts.append
            key_read = _KEY_READ  # (what _key_is_read decided for each key, looked up without its call)
            for index, call in enumerate(self.tool_calls):
                arguments = call.get("arguments")
                if type(arguments) is dict:  # the usual shape: a flat mapping, walked without generators
                    for name, value in arguments.items():
                        if type(name) is not str:
                            key_text = scalar_text(name)
                            if key_text:
                                append((("tool", index, KeyName(name)), key_text))
                        else:
                            read = key_read.get(name)
                            if read is None:
                                read = _key_is_read(name)
                            if read:  # (five characters or more, not plain snake_case)
                                append((("tool", index, KeyName(name)), name))
                        kind = type(value)
                        if kind is str:
                            append((("tool", index, name), value))
                        elif kind is int or kind is float:  # (an amount: its decimal string, as scalar_text reads it)
                            append((("tool", index, name), str(value)))
                        elif kind is list and all(type(item) is str for item in value):  # ids, names: no recursion
                            for position, item in enumerate(value):
                                if item:
                                    append((("tool", index, name, position), item))
                        else:
                            texts.extend(_walk_values(value, ("tool", index, name)))
                elif arguments is not None:
                    texts.extend(_walk_values(arguments, ("tool", index)))
                if len(call) > 2:  # (more than name and arguments: a result may be attached)
                    for field in TOOL_RESULT_KEYS:
                        value = call.get(field)
                        if type(value) is str:
                            append((("result", index, field), value))
                        elif value is not None:  # (JSON text after the replay's check; data from other callers)
                            texts.extend(_walk_values(value, ("result", index, field)))
            self._tool_texts = texts
        return self._tool_texts

    def text(self, key: Any) -> str:
        """The text stored under ``key``."""
        if key == "output":
            return self.output
        if key == "input":
            return self.input_text
        for tool_key, value in self.tool_texts():
            if tool_key == key:
                return value
        return ""

    def findings(self, key: Any, text: str) -> list[Finding]:
        """Sensitive-data findings of ``text`` (the text under ``key``).

        Findings depend on the text alone, so they are cached per text for this case: every rule,
        and every field holding the same string, shares one scan.
        """
        cached = self._scans.get(text)
        if cached is None:
            cached = self._scans[text] = DEFAULT_SCANNER.scan(text)
        return cached

    def scan_hits(
        self,
        output: bool,
        tools: bool,
        inputs: bool,
        ids: ArgumentKeys | None = None,
        scanner: Scanner = DEFAULT_SCANNER,
        credentials: ArgumentKeys | None = None,
    ) -> list[tuple[Any, list[Finding]]]:
        """``(key, findings)`` of every text in scope that has findings, in text order.

        The scope is the output, the tool-argument texts and the input, in that order. Each text is
        scanned once per case and scanner (short texts once per process: the scanner keeps them); the
        result is kept per scope for sibling rules.

        ``ids`` gives the tool-argument keys that name identifiers: a tool-argument string under such
        a key (:func:`argument_name`) that is a bare run of digits has no ``PHONE_NUMBER`` finding
        (every other type is kept: a Luhn-valid card number under ``payment_id`` is still found).
        Findings are cached per text, so this is decided here, per key, not in the detectors.

        ``credentials`` gives the keys that name credentials (``password``, ``api_key``...): a tool-argument
        value under such a key is a ``GENERIC_SECRET`` finding whole, whatever the detectors make of it (a
        password is a secret however it looks), unless it is only mask characters (``********``).
        """
        scope = (output, tools, inputs, ids, scanner, credentials)
        hits = self._hits.get(scope)
        if hits is not None:
            return hits
        if scanner is DEFAULT_SCANNER:
            scans = self._scans
        else:
            other = self._other_scans
            if other is None:
                other = self._other_scans = {}
            scans = other.get(scanner)  # type: ignore[assignment]
            if scans is None:
                scans = other[scanner] = {}
        hits = []
        if output:
            text = self.output
            if text:
                found = scans.get(text)
                if found is None:
                    found = scans[text] = scanner.scan(text)
                if found:
                    hits.append(("output", found))
        if tools:
            shared = scanner.cache
            is_credential = credentials.matches if credentials is not None else None
            for key, text in self.tool_texts():
                if is_credential is not None:
                    name = key[-1]  # (a flat mapping's value: its key; a mapping key itself: no name)
                    if type(name) is not str:
                        name = None if type(name) is KeyName else argument_name(key)
                    if name is not None and is_credential(name) and not masked(text):
                        hits.append((key, [Finding("GENERIC_SECRET", 0, len(text), text)]))
                        continue
                if len(text) < MIN_FINDING:  # (what scanner.scan returns for it: nothing)
                    continue
                # ids, names, amounts recur from case to case: the scanner keeps their findings (shared);
                # a longer text is kept for this case only
                found = shared.get(text)
                if found is None:
                    found = scans.get(text)
                    if found is None:
                        found = scans[text] = scanner.scan(text, True)
                if not found:
                    continue
                if ids is not None and text.isdigit():
                    name = argument_name(key)
                    if name is not None and ids(name):
                        found = [finding for finding in found if finding.type != "PHONE_NUMBER"]
                        if not found:
                            continue
                hits.append((key, found))
        if inputs:
            text = self.input_text
            if text:
                found = scans.get(text)
                if found is None:
                    found = scans[text] = scanner.scan(text)
                if found:
                    hits.append(("input", found))
        self._hits[scope] = hits
        return hits

    # redaction -------------------------------------------------------------------------------
    def redact(self, key: Any, start: int, end: int, kind: str, replacement: str) -> None:
        """Ask for ``text(key)[start:end]`` to be replaced (first request for a span wins)."""
        spans = self.redactions.setdefault(key, {})
        spans.setdefault((start, end), Redaction(start, end, kind, replacement))


# how each case-level name of :data:`ENV_NAMES` is read (C-level attribute reads where the value is an attribute)
_ENV_VALUES: dict[str, Callable[[Evaluation], Any]] = {
    "context": operator.attrgetter("context"),
    "output": operator.attrgetter("output"),
    "tool_calls": operator.attrgetter("tool_calls"),
    "input": operator.attrgetter("input_text"),
    "time": operator.attrgetter("clock"),
    "case": Evaluation._case_view,
    "usage": Evaluation._usage,
    "tool_names": Evaluation._tool_names,
}  # (the other names are fields of the response)
ENV_READERS = _ENV_VALUES  # (for rule kinds that read one name without :meth:`Evaluation.values`)


def _span_order(span: Span) -> tuple[int, int]:
    return span[0], span[0] - span[1]  # by start, the longest first


def _by_start(spans: Iterable[Span]) -> bool:
    """True when ``spans`` come in order of strictly increasing start (as one rule's findings do): sorted already."""
    last = -1
    for start, _, _, _ in spans:
        if start <= last:
            return False
        last = start
    return True


def apply_spans(text: str, spans: dict[tuple[int, int], Span], counts: dict[str, int]) -> str:
    """Apply non-overlapping redactions (longest first on overlap); count the redacted types into ``counts``."""
    if len(spans) == 1:
        for start, end, kind, replacement in spans.values():
            counts[kind] = counts.get(kind, 0) + 1
            return f"{text[:start]}{replacement}{text[end:]}"
    ordered: Iterable[Span] = spans.values()
    if not _by_start(ordered):  # (requests of several rules may share a start: sorted, the longest first)
        ordered = sorted(ordered, key=_span_order)
    parts: list[str] = []
    pos = 0
    for start, end, kind, replacement in ordered:
        if start < pos:
            continue
        parts.append(text[pos:start])
        parts.append(replacement)
        pos = end
        counts[kind] = counts.get(kind, 0) + 1
    parts.append(text[pos:])
    return "".join(parts)
