"""Read YAML config files into dicts, and turn pydantic errors into one-line messages.

Every user-facing YAML file (gatekit.yaml, thresholds, pricing, policies, policy
tests) goes through ``load_yaml`` so messages look the same (``file:line: field:
problem; fix``) and hostile files are refused the same way: aliases (``*name``,
the "billion laughs" bomb), merge keys (``<<``: the mapping's own keys silently
win over the merged ones), duplicate mapping keys (a second ``rules:`` silently
replacing the first) and nesting deeper than ``MAX_YAML_DEPTH`` are errors that
name the line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gatekit.fsio import MAX_YAML_BYTES, missing_file_hint, read_input_text

MAX_YAML_DEPTH = 100


class YamlError(yaml.MarkedYAMLError):
    """A YAML file gatekit refuses; ``str()`` is one line: ``line N: problem``."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem=problem, problem_mark=mark)

    @property
    def line(self) -> int | None:
        """1-based line of the problem, when known."""
        return None if self.problem_mark is None else int(self.problem_mark.line) + 1

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}" if self.line is not None else str(self.problem)


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases, duplicate mapping keys and very deep nesting."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Compose one node; an alias or a node deeper than ``MAX_YAML_DEPTH`` is an error."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise YamlError(
                f"YAML alias '*{event.anchor}' is not allowed in gatekit files; write the value out in full",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise YamlError(f"nested deeper than {MAX_YAML_DEPTH} levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        """Build a mapping; a key written twice is an error naming the second one's line."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # (its keys lose to the mapping's own, silently)
                    raise YamlError(
                        "YAML merge key '<<' is not allowed in gatekit files; write the keys out in the mapping",
                        key_node.start_mark,
                    )
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                try:
                    key = self.construct_object(key_node)
                    hash(key)
                except (yaml.YAMLError, TypeError):
                    key = (key_node.tag, key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise YamlError(
                        f"duplicate key '{key_node.value}' (first on line {seen[key]}); "
                        "keep one of them — YAML would silently use the last",
                        key_node.start_mark,
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: Any) -> Any:
        """An integer; one of more digits than Python converts (4,300) is an error naming its line.

        PyYAML's ``int()`` raised ``ValueError`` there: an internal error (exit 3) of every command reading YAML.
        """
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise YamlError(
                f"a number of {len(str(node.value)):,} characters is too long; write a number of at most 4,300 digits",
                node.start_mark,
            ) from None


StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)


def load_yaml(text: str) -> tuple[Any, Any]:
    """Parse one YAML document with ``StrictLoader``; return ``(data, node)``.

    ``node`` is the composed node tree (for line numbers), None for an empty document.
    Raises ``YamlError`` (a ``yaml.MarkedYAMLError``) for invalid or refused YAML.
    """
    try:
        loader = StrictLoader(text)  # (PyYAML's reader refuses a control character here, before any parsing)
    except yaml.reader.ReaderError as exc:
        raise _unprintable(text, exc) from None
    except yaml.YAMLError as exc:  # (any other refusal at once: was an internal error)
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except YamlError:
        raise
    except yaml.reader.ReaderError as exc:
        raise _unprintable(text, exc) from None
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and exc.problem.startswith("but "):  # PyYAML splits one sentence in two
            problem = f"{exc.context} {exc.problem}"
        raise YamlError(problem, exc.problem_mark or exc.context_mark) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "invalid YAML") from None
    except RecursionError:
        raise YamlError(f"nested deeper than {MAX_YAML_DEPTH} levels") from None
    finally:
        loader.dispose()
    return data, node


def _unprintable(text: str, exc: yaml.reader.ReaderError) -> YamlError:
    """PyYAML's refusal of a control character (a BEL, a NUL) as a ``YamlError`` naming its line and code point."""
    position = max(0, min(int(exc.position), len(text)))
    line = text.count("\n", 0, position)
    column = position - (text.rfind("\n", 0, position) + 1)
    code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
    return YamlError(
        f"control character U+{code:04X} at column {column + 1} is not allowed in YAML",
        yaml.Mark("<yaml>", position, line, column, None, 0),
    )


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` through ``StrictLoader``: the data only."""
    return load_yaml(text)[0]


def yaml_fix(problem: object) -> str:
    """What to do about the YAML ``problem`` a parser reported: a tab gets its own advice."""
    if "control character U+" in str(problem):
        return "delete that character (an editor may not show it)"
    if "'\\t'" in str(problem):  # PyYAML: "found character '\\t' that cannot start any token"
        return "replace the tab with spaces (YAML indents with spaces only)"
    for said, advice in _YAML_ADVICE:
        if said in str(problem):
            return advice
    return "fix it at that line"


# what PyYAML says about the usual slips -> what to do (its words alone name no fix)
_YAML_ADVICE = (
    (
        "mapping values are not allowed here",
        "check this line's indentation against the line above (same column for keys of one mapping), and put a "
        "value holding ': ' in quotes",
    ),
    ("expected <block end>", "indent this line like the other keys or items of its block (spaces only)"),
    ("could not find expected ':'", "a line above is no 'key: value' (a ':' missing, or a quote left open)"),
    ("that cannot start any token", "put the value in quotes"),
    ("found unexpected end of stream", "a quote opened above is not closed; close it"),
    ("expected ',' or ']'", "close the [ ] list (or put the value in quotes)"),
    ("expected ',' or '}'", "close the { } mapping (or put the value in quotes)"),
)


def read_yaml(path: Path, error_cls: type[Exception], what: str) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    """Load a YAML mapping and a map from key paths to 1-based line numbers.

    Raises ``error_cls`` with a message naming the file (and line) when the file
    is missing, unreadable, not YAML or not a mapping.
    """
    if not path.exists():
        where = "--config" if what == "config" else "the path (or the value in gatekit.yaml)"
        raise error_cls(f"{path}: {what} file not found; check {where}{missing_file_hint(path)}")
    try:
        text = read_input_text(path, MAX_YAML_BYTES)
    except (OSError, UnicodeDecodeError) as exc:
        raise error_cls(f"{path}: cannot read {what} file: {exc}") from None
    try:
        data, node = load_yaml(text)
    except YamlError as exc:
        where = f":{exc.line}" if exc.line is not None else ""
        raise error_cls(f"{path}{where}: invalid YAML: {exc.problem}; {yaml_fix(exc.problem)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise error_cls(f"{path}: {what} must be a YAML mapping (key: value), got {type(data).__name__}")
    lines: dict[tuple[str, ...], int] = {}
    _collect_lines(node, (), lines)
    return data, lines


def _collect_lines(node: Any, prefix: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, str(key_node.value))
            out[key] = key_node.start_mark.line + 1
            _collect_lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*prefix, str(index)), out)


def refuse_bool(value: Any) -> Any:
    """A pydantic ``mode="before"`` check: a YAML true/false (also yes/no/on/off) where a number is due is refused.

    Pydantic reads ``True`` as 1 for an int or float field: ``min_requests: yes`` judged windows of one request.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()} (YAML reads yes/no/on/off as true/false)")
    return value


_NUMBER_WITH_UNIT = r"\s*[-+]?\d+(?:\.\d*)?\s*([A-Za-z%]+)\s*"


def _problem(err: dict[str, Any]) -> str:
    """A pydantic error as a reader acts on it: what was expected, what YAML read; no Python type names.

    Pydantic's own text is kept for the rest, without its "Value error, " prefix (a Python exception's name).
    """
    import re

    kind, value = str(err.get("type") or ""), err.get("input")
    if kind == "string_type" and isinstance(value, bool | int | float):  # (YAML read the text as another value)
        what = "a boolean (yes, no, on, off, true, false)" if isinstance(value, bool) else "a number"
        return f"{_yaml_value(value)} is not text: YAML reads it as {what}; put it in quotes"
    if kind in ("int_parsing", "float_parsing", "int_type", "float_type", "path_type", "string_type"):
        expected = {"int": "a whole number", "float": "a number", "path": "a path", "string": "text"}[
            kind.split("_")[0]
        ]
        if isinstance(value, str) and (unit := re.fullmatch(_NUMBER_WITH_UNIT, value)):
            return f"expected {expected}, got {_yaml_value(value)}: write the number alone, without {unit.group(1)!r}"
        return f"expected {expected}, got {_yaml_value(value)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):  # (not "an instance of CheckSpec")
        return f"expected a mapping (key: value, or {{key: value}} on one line), got {_yaml_value(value)}"
    if kind == "list_type":
        return f"expected a list (- item lines, or [a, b] on one line), got {_yaml_value(value)}"
    return str(err.get("msg") or "invalid value").removeprefix("Value error, ")


def _yaml_value(value: Any) -> str:
    """A value read from YAML as a message shows it: scalars as written (scrubbed, cut), containers by their kind."""
    from gatekit.redact import scrub

    if value is None:
        return "no value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping (key: value)"
    if isinstance(value, list | tuple):
        return "a list"
    text = scrub(repr(value)) or ""
    return text if len(text) <= 60 else text[:57] + "..."


def _inner_model(annotation: Any) -> tuple[Any, int]:
    """The pydantic model inside ``annotation`` (through Optional, dict values, list items), and its depth.

    The depth counts the keys or indexes (one per dict or list) between the field and that model's keys;
    (None, 0) when there is no model inside.
    """
    import types
    import typing

    from pydantic import BaseModel

    layers = 0
    while True:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return annotation, layers
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin in (dict, list) and args:
            annotation, layers = args[-1], layers + 1
        elif origin in (typing.Union, types.UnionType):
            kinds = [arg for arg in args if arg is not type(None)]
            if len(kinds) != 1:
                return None, 0
            annotation = kinds[0]
        else:
            return None, 0


def _known_keys(model: Any, loc: tuple[str, ...]) -> list[str]:
    """The keys the pydantic ``model`` allows at ``loc`` (the path to a mapping), [] when it cannot tell."""
    index = 0
    while model is not None and index < len(loc):
        fields = getattr(model, "model_fields", None) or {}
        by_key = {(info.alias or name): info for name, info in fields.items()}
        info = by_key.get(loc[index]) or fields.get(loc[index])
        if info is None:
            return []
        model, layers = _inner_model(info.annotation)
        index += 1 + layers
    fields = getattr(model, "model_fields", None) or {}
    return [(info.alias or name) for name, info in fields.items() if not info.exclude] if index == len(loc) else []


def did_you_mean(model: Any, loc: tuple[str, ...]) -> str:
    """What to do about the unknown key at ``loc`` of ``model``: the key meant when one is close, else a hint."""
    import difflib

    known = _known_keys(model, loc[:-1]) if loc else []
    close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.75) if loc else []
    if not close and loc and _SAME_MEANING.get(loc[-1].strip().lower()) in known:
        close = [_SAME_MEANING[loc[-1].strip().lower()]]  # (a word spelt out: "maximum" is too far from "max")
    return f"did you mean '{close[0]}'? fix the spelling" if close else "remove it or check its spelling"


# keys people write for a limit that gatekit spells shorter (offered only where that key exists)
_SAME_MEANING = {
    "maximum": "max", "minimum": "min", "lte": "max", "le": "max", "gte": "min", "ge": "min",
    "upper": "max", "lower": "min", "at_most": "max", "at_least": "min",
}  # fmt: skip


def pydantic_message(path: Path, exc: Any, lines: dict[tuple[str, ...], int], model: Any = None) -> str:
    """Format a pydantic ``ValidationError`` as one line naming file, line and field.

    ``model``: the class validated, for a misspelt key's suggestion (``did you mean 'min_cases'?``).
    """
    parts = []
    for err in exc.errors()[:5]:
        loc = tuple(str(p) for p in err.get("loc", ()))
        line = None
        for cut in range(len(loc), 0, -1):
            if loc[:cut] in lines:
                line = lines[loc[:cut]]
                break
        field = ".".join(loc) or "(top level)"
        where = f"{path}:{line}" if line else str(path)
        if err.get("type") == "extra_forbidden":
            msg = f"{where}: unknown key '{field}'; {did_you_mean(model, loc)}"
        else:
            msg = f"{where}: {field}: {_problem(err)}"
        parts.append(msg)
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def sourced_message(
    path: Path | None, exc: Any, lines: dict[tuple[str, ...], int], sources: dict[str, str], model: Any = None
) -> str:
    """:func:`pydantic_message`, naming the flag or environment variable behind a bad value.

    ``sources``: key -> ``--flag`` / ``GATEKIT_*`` for the values not read from the file; only values from the file
    get file:line.
    """
    for err in exc.errors():
        loc = tuple(str(part) for part in err.get("loc", ()))
        if loc and loc[0] in sources:
            return f"{sources[loc[0]]}: {'.'.join(loc)}: {_problem(err)}"
    return pydantic_message(path or Path("(flags)"), exc, lines, model)
