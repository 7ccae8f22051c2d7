"""YAML models (pydantic) of policy files and of the built-in rule kinds.

Each rule module re-exports its own (``from gatekit.governance.rules.condition import ConditionConfig``
keeps working).

One vocabulary: every rule kind says what happens when it fires with ``outcome`` (or ``outcomes``, per
data type, for ``sensitive_data``), using the words of the decision trace: ``deny``, ``require_review``,
``allow_with_redaction``, ``allow``. The older ``action``/``actions`` keys with ``redact``/``review``
values still load (:func:`upgrade_vocabulary`), with a deprecation warning.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from gatekit.governance.custom_patterns import compile_linear
from gatekit.governance.detectors import ALL_TYPES, PII_TYPES, SECRET_TYPES, VALIDATORS
from gatekit.governance.detectors.phone import check_region
from gatekit.governance.injection import DEFAULT_THRESHOLD
from gatekit.governance.rules.interface import ID_PATTERN, RuleConfig
from gatekit.units import parse_quantity
from gatekit.yamlio import refuse_bool

MAX_VERSION_CHARS = 100
MAX_RULES = 1_000  # in one policy file: every rule runs on every case (and each fired one is listed in the decision)
MAX_WINDOW_MS = 24 * 3600 * 1000.0  # a token budget's window
MAX_TERMS = 10_000  # a sensitive_terms rule's terms (each costs time at every word of every text scanned)
OutcomeName = Literal["deny", "require_review", "allow_with_redaction", "allow"]
DATA_GROUPS = {"pii": PII_TYPES, "secrets": SECRET_TYPES}
DEFAULT_IDENTIFIER_KEYS = ("id", "ids", "*_id", "*_ids")
# tool-argument keys whose values are credentials (compared after itemId -> item_id and lower-casing)
DEFAULT_CREDENTIAL_KEYS = (
    "password", "passwd", "pwd", "passphrase", "*_password", "secret", "*_secret", "secret_key", "api_key", "apikey",
    "*_api_key", "token", "access_token", "refresh_token", "auth_token", "bearer_token", "private_key", "access_key",
    "secret_access_key",
)  # fmt: skip


def _scans_something(value: list[str]) -> list[str]:
    if not value:  # (the rule would read no text: a pass on every case)
        raise ValueError(
            "an empty scan list reads no text, so the rule never fires; name what to scan (e.g. [output]) or leave scan out"
        )
    return value


_KEY_PATTERN = re.compile(r"[a-z0-9_*?\[\]!\-]+")
_KEY_FIELDS = {  # (what an argument-key pattern list is called in errors, and an example)
    "identifier_keys": ("identifier key", "'id', '*_id', 'sku'"),
    "credential_keys": ("credential key", "'password', '*_secret', 'pin'"),
}


class PolicyFile(BaseModel):
    """Top level of a policy YAML file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    version: str
    description: str = ""
    rules: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # (the version is written to every trace, span and console line: a line break forged an "ok" line)
        if not value.strip() or len(value) > MAX_VERSION_CHARS or not value.isprintable():
            raise ValueError(
                f"the version must be one line of at most {MAX_VERSION_CHARS} printable characters "
                '(no line break or control character), e.g. "1.2.0"'
            )
        return value

    @field_validator("rules", mode="before")
    @classmethod
    def _rules_given(cls, value: Any) -> Any:
        if value is None:  # ("rules:" and nothing under it)
            raise ValueError("no rule under 'rules:'; list the rules (- id: ..., kind: ...)")
        if isinstance(value, list) and len(value) > MAX_RULES:  # (25,000 rules: 26 s to load, 1.7 s per case)
            raise ValueError(
                f"{len(value):,} rules; at most {MAX_RULES:,} in one policy (every rule runs on every case): merge "
                "them (one tools rule lists many tools, one sensitive_terms rule many terms)"
            )
        return value


class ConditionConfig(RuleConfig):
    """YAML of a ``condition`` rule."""

    kind: Literal["condition"] = "condition"
    when: str
    outcome: Literal["deny", "require_review", "allow_with_redaction", "allow"] = "require_review"
    reason: str = ""


class PromptInjectionConfig(RuleConfig):
    """YAML of a ``prompt_injection`` rule."""

    kind: Literal["prompt_injection"] = "prompt_injection"
    scan: list[Literal["input", "tool_outputs", "output"]] = Field(
        default_factory=lambda: ["input", "tool_outputs"]  # type: ignore[arg-type]
    )
    # probabilities from gatekit.governance.injection: review at ``threshold``; ``escalate_outcome``
    # at ``deny_threshold`` (off by default) or when a risky tool call follows the flagged text
    threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, le=1)
    deny_threshold: float | None = Field(default=None, gt=0, le=1)
    outcome: OutcomeName = "require_review"
    escalate_outcome: OutcomeName = "deny"
    high_risk_tools: list[str] = Field(default_factory=list)

    _names = field_validator("high_risk_tools")(lambda value: _tool_names(value))  # (matched as deny is: folded)

    # (``threshold: yes`` was 1.0: no injection ever reached it)
    _no_bool = field_validator("threshold", "deny_threshold", mode="before")(refuse_bool)
    _scan = field_validator("scan")(_scans_something)

    @field_validator("deny_threshold")
    @classmethod
    def _deny_above_review(cls, value: float | None, info: Any) -> float | None:
        threshold = info.data.get("threshold")
        if value is not None and threshold is not None and value < threshold:
            raise ValueError(f"deny_threshold {value} is below threshold {threshold}: set it at or above threshold")
        return value


class SensitiveTermsConfig(RuleConfig):
    """YAML of a ``sensitive_terms`` rule."""

    kind: Literal["sensitive_terms"] = "sensitive_terms"
    terms: list[str] = Field(min_length=1, max_length=MAX_TERMS)
    scan: list[Literal["output", "tool_arguments", "input"]] = Field(
        default_factory=lambda: ["output", "tool_arguments"]  # type: ignore[arg-type]
    )
    outcome: Literal["deny", "require_review", "allow_with_redaction"] = "deny"
    placeholder: str = "[SENSITIVE_TERM]"

    _scan = field_validator("scan")(_scans_something)

    @field_validator("terms")
    @classmethod
    def _no_blank_term(cls, value: list[str]) -> list[str]:
        # (a blank term was dropped; with no other term the rule matched between every two characters)
        for index, term in enumerate(value):
            if not term.strip():
                raise ValueError(f"terms[{index}] is empty or blank: it matches nothing (or everything); remove it")
        return value


class EmergencyStopConfig(RuleConfig):
    """YAML of an ``emergency_stop`` rule."""

    kind: Literal["emergency_stop"] = "emergency_stop"
    when: str
    min_cases: int = Field(default=1, ge=1)
    reason: str = ""

    _no_bool = field_validator("min_cases", mode="before")(refuse_bool)


class ToolCondition(BaseModel):
    """``when`` the expression is true for a call of this tool, the rule fires with ``outcome``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: str
    outcome: OutcomeName = "deny"
    reason: str = ""


class ToolLimit(BaseModel):
    """Limits for one tool (or a glob of tools)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_calls: int | None = Field(default=None, ge=0)
    # calls in any sliding minute, across the run: the case timestamps in the gate, the real clock in the runtime guard
    max_calls_per_minute: int | None = Field(default=None, ge=0)
    max_argument_chars: int | None = None
    conditions: list[ToolCondition] = Field(default_factory=list)

    _no_bool = field_validator("max_calls", "max_calls_per_minute", mode="before")(refuse_bool)

    @model_validator(mode="after")
    def _sets_something(self) -> ToolLimit:
        if (self.max_calls, self.max_calls_per_minute, self.max_argument_chars) == (None, None, None) and not (
            self.conditions
        ):
            raise ValueError(
                "the limit sets nothing, so it never fires; set max_calls, max_calls_per_minute, max_argument_chars "
                "or conditions (or remove it)"
            )
        return self

    @field_validator("max_argument_chars", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        if value is None:
            return None
        return int(
            _finite(parse_quantity(value, kind="number", where="max_argument_chars"), "max_argument_chars", "1k")
        )


def _tool_names(value: list[str] | None, exact: bool = False) -> list[str] | None:
    """``value`` when every tool name (or glob) in it can name a tool; ValueError otherwise.

    A blank one names no tool; with blanks around it, an ``exact`` one (``allow``: compared as written) names no
    tool either (``deny``, ``high_risk``, ``high_risk_tools`` and limits compare folded names).
    """
    for index, name in enumerate(value or ()):
        if not name.strip():
            raise ValueError(f"entry {index} is an empty or blank tool name, which names no tool; remove it")
        if exact and name != name.strip():
            raise ValueError(
                f"entry {index}, {name!r}, has blanks around it: names are compared here as written, so no call would "
                f"match it; write {name.strip()!r}"
            )
    return value


class ToolsConfig(RuleConfig):
    """YAML of a ``tools`` rule."""

    kind: Literal["tools"] = "tools"
    allow: list[str] | None = None
    deny: list[str] = Field(default_factory=list)
    high_risk: list[str] = Field(default_factory=list)
    max_calls_per_case: int | None = Field(default=None, ge=0)
    limits: dict[str, ToolLimit] = Field(default_factory=dict)
    outcome: OutcomeName = "deny"

    _no_bool = field_validator("max_calls_per_case", mode="before")(refuse_bool)
    _exact_names = field_validator("allow")(lambda value: _tool_names(value, exact=True))

    @field_validator("allow", mode="before")
    @classmethod
    def _allow_given(cls, value: Any) -> Any:
        if value is None:  # ("allow:" and nothing under it read as no allow-list: every tool allowed)
            raise ValueError(
                "no tool under 'allow:', which would allow every tool; list the tools the agent may call, write "
                "allow: [] to refuse every call, or remove the key to allow every tool"
            )
        return value

    _names = field_validator("deny", "high_risk")(lambda value: _tool_names(value))

    @field_validator("limits")
    @classmethod
    def _limit_names(cls, value: dict[str, ToolLimit]) -> dict[str, ToolLimit]:
        _tool_names(list(value))
        return value

    @field_validator("limits")
    @classmethod
    def _limits_reach_allowed(cls, value: dict[str, ToolLimit], info: ValidationInfo) -> dict[str, ToolLimit]:
        allow = info.data.get("allow")
        if not allow:  # (no allow-list: every name may be called; allow: []: every call is refused, limits or not)
            return value
        for pattern in value:
            if not _reaches(pattern, allow):
                import difflib

                exact = [name for name in allow if not _is_glob(name)]
                close = difflib.get_close_matches(pattern, exact, n=1, cutoff=0.75)
                meant = f"did you mean {close[0]!r}? fix the spelling, or" if close else "name an allowed tool, or"
                raise ValueError(
                    f"{pattern!r} names no tool on the allow-list, so the limit never applies to a "
                    f"call the rule lets through (the others are refused anyway); {meant} add it to allow"
                )
        return value

    @model_validator(mode="after")
    def _checks_something(self) -> ToolsConfig:
        if self.allow is None and not (self.deny or self.high_risk or self.limits) and self.max_calls_per_case is None:
            raise ValueError(
                "a tools rule without allow, deny, high_risk, limits or max_calls_per_case checks nothing and would "
                "allow every call; list the tools the agent may call (allow: [...]) or set a limit"
            )
        return self


def _is_glob(name: str) -> bool:
    return any(ch in name for ch in "*?[")


def _reaches(pattern: str, allow: list[str]) -> bool:
    """True when a ``limits`` pattern can apply to a name ``allow`` lets through.

    Names are compared as a limit compares them (as written or folded); a glob against a glob is taken to overlap.
    """
    import fnmatch

    from gatekit.governance.rules.tools import _fold_pattern

    folded = _fold_pattern(pattern)
    for name in allow:
        if _is_glob(name) and _is_glob(pattern):
            return True
        for limit, allowed in ((pattern, name), (folded, _fold_pattern(name))):
            if limit == allowed or fnmatch.fnmatchcase(allowed, limit) or fnmatch.fnmatchcase(limit, allowed):
                return True
    return False


def _finite(number: float, where: str, example: str = "16k") -> float:
    """``number`` unless NaN or infinite (``.nan`` and ``.inf`` are YAML floats): ValueError naming ``where``."""
    if not math.isfinite(number):  # (int(inf) raised OverflowError: an internal error; a NaN window kept every event)
        raise ValueError(f"{where}: {number} is not a finite number; write a number such as {example}")
    return number


def _given(value: Any, key: str) -> Any:
    """``value`` unless the key was written with nothing after it (null): that budget would be off, silently."""
    if value is None:
        raise ValueError(
            f"no number after '{key}:', so that budget would be off; write one (e.g. 50k) or remove the key"
        )
    return value


def _tokens(value: Any, where: str) -> Any:
    if value is None:
        return None
    number = _finite(parse_quantity(value, kind="number", where=where), where)
    if number < 0:
        raise ValueError(f"{where}: must not be negative")
    return int(number)


class CaseBudget(BaseModel):
    """Per-case limits (tokens)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None

    @field_validator("input_tokens", "output_tokens", "total_tokens", mode="before")
    @classmethod
    def _parse(cls, value: Any, info: ValidationInfo) -> Any:
        return _tokens(_given(value, str(info.field_name)), "per_case")


class TokenBudgetConfig(RuleConfig):
    """YAML of a ``token_budget`` rule."""

    kind: Literal["token_budget"] = "token_budget"
    per_case: CaseBudget | None = None

    @field_validator("per_case", mode="before")
    @classmethod
    def _per_case_given(cls, value: Any) -> Any:
        if value is None:  # ("per_case:" and nothing under it: no per-case budget, silently)
            raise ValueError("nothing under 'per_case:'; set input_tokens, output_tokens or total_tokens, or remove it")
        return value

    per_user_per_minute: int | None = None
    per_run_per_minute: int | None = None
    window: float = Field(default=60_000.0, description="window length in ms (default 1 minute)")
    user_field: str = "user"
    outcome: Literal["deny", "require_review", "allow_with_redaction", "allow"] = "deny"

    @field_validator("per_user_per_minute", "per_run_per_minute", mode="before")
    @classmethod
    def _parse(cls, value: Any, info: ValidationInfo) -> Any:
        return _tokens(_given(value, str(info.field_name)), "per minute budget")

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        number = _finite(parse_quantity(value, kind="duration_ms", where="window"), "window", "60s")
        if number <= 0:
            raise ValueError("window must be positive, e.g. 60s")
        if number > MAX_WINDOW_MS:  # (a window keeps every event in it: a runtime guard's memory grows with it)
            raise ValueError(f"window {value!r} is longer than a day; use at most 24h")
        return number

    @field_validator("user_field")
    @classmethod
    def _user_field(cls, value: str) -> str:
        if not value.strip():  # (no context names "": every case would go without a per-user budget)
            raise ValueError("user_field is empty; name the context key holding the user, e.g. user")
        return value

    @model_validator(mode="after")
    def _limits_something(self) -> TokenBudgetConfig:
        per_case = self.per_case
        case_limits = () if per_case is None else (per_case.input_tokens, per_case.output_tokens, per_case.total_tokens)
        if all(limit is None for limit in (*case_limits, self.per_user_per_minute, self.per_run_per_minute)):
            raise ValueError(
                "a token_budget rule without a limit checks nothing; set per_case (input_tokens, output_tokens, "
                "total_tokens), per_user_per_minute or per_run_per_minute"
            )
        return self


def _widest_finding(pattern: str) -> int:
    """The most characters a finding of ``pattern`` can span: its ``value`` group when it has one, else the match."""
    import re._constants as sre_constants
    import re._parser as sre_parser

    parsed = sre_parser.parse(pattern)
    group = parsed.state.groupdict.get("value")
    if group is None:
        return int(parsed.getwidth()[1])
    stack = [parsed]
    while stack:
        for op, argument in stack.pop().data:
            if op is sre_constants.SUBPATTERN and argument[0] == group:
                return int(argument[3].getwidth()[1])
            for item in argument if isinstance(argument, list | tuple) else (argument,):
                if isinstance(item, sre_parser.SubPattern):
                    stack.append(item)
                elif isinstance(item, list | tuple):
                    stack.extend(inner for inner in item if isinstance(inner, sre_parser.SubPattern))
    return int(parsed.getwidth()[1])


class CustomDetectorConfig(BaseModel):
    """A detector declared in policy YAML: a regex, a named validator, optional context words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    pattern: str = Field(min_length=1, max_length=2000)
    validator: str = "none"
    score: float = Field(default=1.0, ge=0, le=1)
    context: tuple[str, ...] = ()
    secret: bool = False

    _no_bool = field_validator("score", mode="before")(refuse_bool)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        compile_linear(value)  # (ValueError: it does not compile, or RE2 cannot run it in linear time)
        if _widest_finding(value) == 0:  # (an empty match is no finding: the detector would never find anything)
            raise ValueError(
                f"pattern {value!r} matches only empty text ('\\b', '^$', 'x{{0}}' or an empty value group), so the "
                "detector finds nothing; write the value's own characters, e.g. 'ORD-\\d{6}'"
            )
        return value

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str) -> str:
        if value not in VALIDATORS:
            raise ValueError(f"unknown validator {value!r}; valid: {', '.join(sorted(VALIDATORS))}")
        return value

    @field_validator("context")
    @classmethod
    def _no_blank_word(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, word in enumerate(value):
            if not word.strip():  # ("" is found before every candidate: the context test would always hold)
                raise ValueError(f"context[{index}] is empty or blank; remove it")
        return value

    @model_validator(mode="after")
    def _can_find(self) -> CustomDetectorConfig:
        from gatekit.governance.detectors.base import CONTEXT_BOOST, MIN_SCORE

        if self.score < MIN_SCORE and not self.context:
            raise ValueError(
                f"score {self.score} is below {MIN_SCORE} and there are no context words, so the detector finds "
                f"nothing; add context: [words found before a value] or set score: {MIN_SCORE} or more"
            )
        if self.score + CONTEXT_BOOST < MIN_SCORE:
            raise ValueError(
                f"score {self.score} stays below {MIN_SCORE} even after a context word (+{CONTEXT_BOOST}), so the "
                f"detector finds nothing; set score: {round(MIN_SCORE - CONTEXT_BOOST, 2)} or more"
            )
        return self


class SensitiveDataConfig(RuleConfig):
    """YAML of a ``sensitive_data`` rule."""

    kind: Literal["sensitive_data"] = "sensitive_data"
    scan: list[Literal["output", "tool_arguments", "input"]] = Field(
        default_factory=lambda: ["output", "tool_arguments"]  # type: ignore[arg-type]
    )
    outcomes: dict[str, OutcomeName]
    redaction: Literal["placeholder", "hmac"] = "placeholder"
    hmac_key_env: str = "GATEKIT_REDACTION_KEY"
    identifier_keys: list[str] = Field(default_factory=lambda: list(DEFAULT_IDENTIFIER_KEYS))
    credential_keys: list[str] = Field(default_factory=lambda: list(DEFAULT_CREDENTIAL_KEYS))
    phone_regions: list[str] | None = None
    detectors: list[CustomDetectorConfig] = Field(default_factory=list)

    _scan = field_validator("scan")(_scans_something)

    @field_validator("outcomes")
    @classmethod
    def _acts_on_something(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError(
                "an empty mapping acts on no data type; name them, e.g. {pii: allow_with_redaction, secrets: deny}"
            )
        return value

    @field_validator("identifier_keys", "credential_keys")
    @classmethod
    def _key_patterns(cls, value: list[str], info: ValidationInfo) -> list[str]:
        what, example = _KEY_FIELDS[str(info.field_name)]
        for pattern in value:
            if not _KEY_PATTERN.fullmatch(pattern):
                raise ValueError(
                    f"{what} pattern {pattern!r}: use lower-case snake_case names and globs (e.g. {example}); "
                    "keys are compared after itemId -> item_id and lower-casing"
                )
        return value

    @field_validator("phone_regions")
    @classmethod
    def _regions(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("phone_regions: name one region at least (e.g. [US, GB]) or leave it out")
            return [check_region(region) for region in value]
        return value

    @model_validator(mode="after")
    def _known_types(self) -> SensitiveDataConfig:
        valid = set(ALL_TYPES) | set(DATA_GROUPS) | {detector.type for detector in self.detectors}
        for key in self.outcomes:
            if key not in valid:
                raise ValueError(f"unknown data type {key!r} in outcomes; valid: {', '.join(sorted(valid))}")
        for detector in self.detectors:  # (the pii / secrets groups are the built-in types: they do not cover it)
            if detector.type not in self.outcomes:
                raise ValueError(
                    f"detector {detector.type} is declared but outcomes does not name it, so its findings would be "
                    f"neither redacted nor acted on; add it, e.g. outcomes: {{{detector.type}: "
                    f"{'deny' if detector.secret else 'allow_with_redaction'}}}"
                )
        return self


# --- deprecated vocabulary -------------------------------------------------------------------------

_OLD_VALUES = {"redact": "allow_with_redaction", "review": "require_review", "deny": "deny", "allow": "allow"}
# kind -> (old key, new key, the value is a mapping of data type -> word)
_RENAMED = {"sensitive_terms": ("action", "outcome", False), "sensitive_data": ("actions", "outcomes", True)}


def upgrade_vocabulary(raw: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``raw`` (one rule's YAML) with the deprecated ``action``/``actions`` words replaced by outcome words.

    Returns the rule to validate and, when it used the old words, a message saying what to write
    instead (None otherwise). Both keys at once is an error: the rule would say two things.
    """
    renamed = _RENAMED.get(str(raw.get("kind")))
    if renamed is None or renamed[0] not in raw:
        return raw, None
    old, new, per_type = renamed
    if new in raw:
        raise ValueError(f"both {old!r} and {new!r} are set; keep {new!r} ({old!r} is its deprecated name)")
    value = raw[old]
    if per_type:
        upgraded: Any = (
            {key: _OLD_VALUES.get(item, item) if isinstance(item, str) else item for key, item in value.items()}
            if isinstance(value, dict)
            else value
        )
        pairs = ", ".join(f"{key}: {item}" for key, item in upgraded.items()) if isinstance(upgraded, dict) else ""
        example = f"outcomes: {{{pairs if len(pairs) <= 120 else pairs[:117] + '...'}}}"
    else:
        upgraded = _OLD_VALUES.get(value, value) if isinstance(value, str) else value
        example = f"outcome: {upgraded}"
    rule = {key: item for key, item in raw.items() if key != old}
    rule[new] = upgraded
    message = (
        f"{old!r} is deprecated: write {example!r} (the outcome words: redact -> allow_with_redaction, "
        "review -> require_review)"
    )
    return rule, message
