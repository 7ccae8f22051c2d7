"""Read YAML config files into dicts, and turn pydantic errors into one-line messages.

Every user-facing YAML file (gatekit.yaml, thresholds, pricing, policies) goes
through here so messages look the same: ``file:line: field: problem; fix``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: Path, error_cls: type[Exception], what: str) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    """Load a YAML mapping and a map from key paths to 1-based line numbers.

    Raises ``error_cls`` with a message naming the file (and line) when the file
    is missing, unreadable, not YAML or not a mapping.
    """
    if not path.exists():
        raise error_cls(f"{path}: {what} file not found; check the path (or the value in gatekit.yaml)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error_cls(f"{path}: cannot read {what} file: {exc}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error_cls(f"{path}{where}: invalid YAML: {problem}; fix the syntax at that line") from None
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


def pydantic_message(path: Path, exc: Any, lines: dict[tuple[str, ...], int]) -> str:
    """Format a pydantic ``ValidationError`` as one line naming file, line and field."""
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
            msg = f"{where}: unknown key '{field}'; remove it or check its spelling"
        else:
            msg = f"{where}: {field}: {err.get('msg', 'invalid value')}"
        parts.append(msg)
    more = len(exc.errors()) - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
