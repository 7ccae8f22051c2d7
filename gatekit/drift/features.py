"""Turn rows into drift features, identically for the reference and the production side.

A feature is numeric (one number per row; KS test) or categorical (one label per
row, or several for tool names; chi-square test). Today's files (not in the production-log
format) are converted batch by batch into one Arrow column per feature (``feature_array``),
written to a temporary Parquet file that the engine reads (``gatekit.production.sources``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from gatekit.drift.sources import ABSENT, Batch, arrow_column, get_path, top_level
from gatekit.production.schema import NUMBER_TEXT, input_features

NUMERIC = "numeric"
CATEGORICAL = "categorical"


@dataclass(frozen=True)
class FeatureSpec:
    """What to measure and where: dotted ``paths`` (first present wins) or a ``derive`` function name."""

    name: str
    kind: str
    paths: tuple[str, ...] = ()
    derive: str | None = None
    multi: bool = False
    explicit: bool = False
    hint: str = ""

    def columns(self) -> set[str]:
        """Top-level columns this feature may read."""
        if self.derive is not None:
            return set(_DERIVED_COLUMNS[self.derive])
        cols: set[str] = set()
        for path in self.paths:
            cols |= top_level(path)
        return cols


_TOOL_PATHS = ("tool_calls", "response.tool_calls", "expected.tool_calls")
_DERIVED_COLUMNS = {
    "input_chars": ("input",),
    "input_tokens_est": ("input",),
    "turns": ("input",),
    "tool_calls": ("tool_calls", "response", "expected"),
    "tool_names": ("tool_calls", "response", "expected"),
}
_RESULTS_HINT = "golden datasets carry no measurements; pass --reference-results RESULTS.jsonl from a gate run"


def default_features() -> list[FeatureSpec]:
    """The features derived when no ``--numeric`` / ``--categorical`` is given."""
    return [
        FeatureSpec("input_chars", NUMERIC, derive="input_chars"),
        FeatureSpec("input_tokens_est", NUMERIC, derive="input_tokens_est"),
        FeatureSpec("turns", NUMERIC, derive="turns"),
        FeatureSpec("output_tokens", NUMERIC, paths=("usage.output_tokens", "response.usage.output_tokens"),
                    hint=_RESULTS_HINT),
        FeatureSpec("latency_ms", NUMERIC, paths=("latency_ms",), hint=_RESULTS_HINT),
        FeatureSpec("cost_usd", NUMERIC, paths=("cost_usd", "response.cost_usd"), hint=_RESULTS_HINT),
        FeatureSpec("tool_calls", NUMERIC, derive="tool_calls"),
        FeatureSpec("context.role", CATEGORICAL, paths=("context.role",)),
        FeatureSpec("context.scope", CATEGORICAL, paths=("context.scope",)),
        FeatureSpec("context.env", CATEGORICAL, paths=("context.env",)),
        FeatureSpec("language", CATEGORICAL, paths=("context.language", "language")),
        FeatureSpec("tool_names", CATEGORICAL, derive="tool_names", multi=True),
    ]  # fmt: skip


def explicit_features(numeric: list[str], categorical: list[str]) -> list[FeatureSpec]:
    """Exactly the named features (dotted paths), in the order given."""
    specs = [FeatureSpec(name, NUMERIC, paths=(name,), explicit=True) for name in numeric]
    specs += [FeatureSpec(name, CATEGORICAL, paths=(name,), explicit=True) for name in categorical]
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            from gatekit.errors import ConfigError

            raise ConfigError(f"feature {spec.name!r} is named twice (--numeric/--categorical); name it once")
        seen.add(spec.name)
    for spec in specs:  # "x.missing_rate" is the name of x's missing-rate test: two results under one name
        parent = spec.name.removesuffix(".missing_rate")
        if parent != spec.name and parent in seen:
            from gatekit.errors import ConfigError

            raise ConfigError(
                f"feature {spec.name!r} has the name of the missing-rate test of feature {parent!r}; "
                f"test one of them per run (--numeric/--categorical)"
            )
    return specs


# --- accumulators -------------------------------------------------------------------------------------------


@dataclass
class SideValues:
    """Counts kept while one feature of one side is converted (the values go to a Parquet column)."""

    kind: str
    multi: bool = False
    rows: int = 0
    missing: int = 0
    non_numeric: int = 0
    non_finite: int = 0  # Infinity, -Infinity, NaN, "1e309": counted as missing, with a warning
    rounded: int = 0  # integers beyond 2**53 a double holds only rounded (9007199254740993 -> ...992): a warning
    seen: bool = False


def _is_nan_text(value: float | str) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return value.strip().lower() in ("nan", "+nan", "-nan")


EXACT_INTEGERS = 2**53  # every integer up to this magnitude is a double; beyond, only some are
_INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]{16,}\s*")  # integer text of 16 digits or more (2**53 has 16)


def _is_rounded(value: Any) -> bool:
    """Whether ``value`` is an integer (or integer text) beyond ``EXACT_INTEGERS`` that a double holds only rounded."""
    if isinstance(value, str):
        if _INTEGER_TEXT.fullmatch(value) is None:
            return False
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) <= EXACT_INTEGERS:
        return False
    try:
        return int(float(value)) != value
    except OverflowError:  # beyond 1.8e308: non-finite, counted as such
        return False


def _number(value: Any) -> tuple[float, int]:
    """Return (float or NaN, 1 if the value was there but not a number)."""
    if value is None or value is ABSENT:
        return math.nan, 0
    if isinstance(value, bool):
        return math.nan, 1
    if isinstance(value, int | float):
        try:
            return float(value), 0
        except OverflowError:  # an integer beyond 1.8e308: non-finite, as the text "1e309" is
            return (math.inf if value > 0 else -math.inf), 0
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return math.nan, 0
        if re.fullmatch(NUMBER_TEXT, text) is None:  # the engines' rule: float() also read "1_000" and "١٢"
            return math.nan, 1
        return float(text), 0
    return math.nan, 1


def label(value: Any) -> str | None:
    """Normalise a categorical value to a string label (None when missing); 1, 1.0 and "1" agree."""
    if value is None or value is ABSENT:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value if value != "" else None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _first_present(row: dict[str, Any], paths: tuple[str, ...]) -> Any:
    for path in paths:
        value = get_path(row, path)
        if value is not ABSENT:
            return value
    return ABSENT


# --- derived features ---------------------------------------------------------------------------------------


def tool_names(calls: Any) -> list[str]:
    """Names of the tool calls in a list (``name`` or OpenAI's ``function.name``)."""
    names = []
    for call in calls:
        if isinstance(call, str):
            names.append(call)
        elif isinstance(call, dict):
            name = call.get("name")
            if name is None and isinstance(call.get("function"), dict):
                name = call["function"].get("name")
            if name is not None:
                names.append(str(name))
    return names


def _tool_calls(row: dict[str, Any]) -> Any:
    value = _first_present(row, _TOOL_PATHS)
    if isinstance(value, str) and value[:1] == "[":
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value


def _input_measures(row: dict[str, Any]) -> Any:
    """(chars, estimated tokens, turns) of a row's input; ABSENT or None when it has none."""
    raw = get_path(row, "input")
    if raw is ABSENT:
        return ABSENT
    measures = input_features(raw)
    if measures["input_chars"] is None:
        return None
    return measures["input_chars"], measures["input_tokens_est"], measures["turns"]


def _tool_measures(row: dict[str, Any]) -> Any:
    """(count, names) of a row's tool calls; ABSENT / None when it has none."""
    calls = _tool_calls(row)
    if calls is ABSENT or calls is None:
        return calls
    if not isinstance(calls, list):
        return "not a list", "not a list"  # counted as non-numeric / a label
    return len(calls), tool_names(calls)


_INPUT_INDEX = {"input_chars": 0, "input_tokens_est": 1, "turns": 2}


def _derived(derive: str, batch: Batch) -> list[Any]:
    """Values of a derived feature for every row of a batch; each row's input is parsed once per batch."""
    is_input = derive in _INPUT_INDEX
    key = "input" if is_input else "tools"
    if key not in batch.cache:
        measure = _input_measures if is_input else _tool_measures
        batch.cache[key] = [measure(row) for row in batch.python_rows()]
    index = _INPUT_INDEX.get(derive, 0 if derive == "tool_calls" else 1)
    return [m if m is ABSENT or m is None else m[index] for m in batch.cache[key]]


# --- extraction ---------------------------------------------------------------------------------------------


def feature_array(spec: FeatureSpec, batch: Batch, acc: SideValues) -> Any:
    """One batch's values of ``spec`` as an Arrow array aligned with the batch's rows; counts go to ``acc``.

    Numeric: float64, null where missing, not a number, or non-finite (counted in ``non_numeric`` /
    ``non_finite``). Categorical: string labels (null where missing). Multi-valued: list of strings.
    """
    import pyarrow as pa

    acc.rows += batch.num_rows
    if batch.table is not None and spec.derive is None:
        arrow = _arrow_values(spec, batch, acc)
        if arrow is not None:
            return arrow
    rows = batch.python_rows()
    values = _derived(spec.derive, batch) if spec.derive is not None else [_first_present(r, spec.paths) for r in rows]
    if spec.multi:
        lists: list[list[str] | None] = []
        for value in values:
            if value is ABSENT or value is None:
                lists.append(None)
                continue
            acc.seen = True
            lists.append([str(v) for v in value] if isinstance(value, list) else None)
        return pa.array(lists, type=pa.list_(pa.string()))
    if any(v is not ABSENT for v in values):
        acc.seen = True
    if spec.kind == NUMERIC:
        out: list[float | None] = []
        for value in values:
            number, flag = _number(value)
            acc.non_numeric += flag
            if math.isfinite(number):
                out.append(number)
                if abs(number) >= EXACT_INTEGERS and _is_rounded(value):
                    acc.rounded += 1
                continue
            acc.missing += 1
            if math.isinf(number) or (isinstance(value, float | str) and _is_nan_text(value) and not flag):
                acc.non_finite += 1
            out.append(None)
        return pa.array(out, type=pa.float64())
    labels = [label(v) for v in values]
    acc.missing += sum(1 for lab in labels if lab is None)
    return pa.array(labels, type=pa.string())


def _rounded_in(column: Any) -> int:
    """How many integers (or integer texts) of an Arrow column a double holds only rounded (see ``_is_rounded``).

    Only the values beyond ``EXACT_INTEGERS`` (rare) are looked at one by one.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_integer(kind):
        if kind.bit_width < 54:
            return 0
        big = pc.filter(column, pc.greater(pc.abs(pc.cast(column, pa.float64(), safe=False)), 2.0**53 - 1))
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        big = pc.filter(column, pc.match_substring_regex(column, "^" + _INTEGER_TEXT.pattern + "$"))
    else:
        return 0
    return sum(1 for value in big.to_pylist() if _is_rounded(value))


def _arrow_values(spec: FeatureSpec, batch: Batch, acc: SideValues) -> Any:
    """Vectorised path for plain columns; None when the Python path must be used."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = None
    for path in spec.paths:
        column = arrow_column(batch.table, path)
        if column is not None:
            break
    kind_out = pa.float64() if spec.kind == NUMERIC else pa.string()
    if column is None:
        if any(p.split(".")[0] in batch.table.column_names for p in spec.paths):
            return None  # a nested path through a non-struct column (JSON text, lists): Python path
        acc.missing += batch.num_rows  # this file lacks the column: every row is missing
        return pa.nulls(batch.num_rows, kind_out)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if pa.types.is_null(kind):
        acc.seen = True
        acc.missing += batch.num_rows
        return pa.nulls(batch.num_rows, kind_out)
    if spec.kind == NUMERIC:
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            # rounded to the nearest double, as float() rounds a JSON integer: 2**53 + 1 is no error
            floats = pc.cast(column, pa.float64(), safe=False)
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            try:
                floats = pc.cast(column, pa.float64())
            except pa.ArrowException:
                return None  # some values are not numbers: count them on the Python path
        else:
            return None
        acc.seen = True
        acc.rounded += _rounded_in(column)
        finite = pc.is_finite(floats)
        acc.non_finite += int(pc.sum(pc.invert(pc.fill_null(finite, True))).as_py() or 0)
        cleaned = pc.if_else(pc.fill_null(finite, False), floats, pa.scalar(None, pa.float64()))
        acc.missing += cleaned.null_count
        return cleaned
    if pa.types.is_dictionary(kind):
        column = pc.cast(column, kind.value_type)
        kind = column.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return None
    acc.seen = True
    cleaned = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), pc.cast(column, pa.string()))
    acc.missing += cleaned.null_count
    return cleaned
