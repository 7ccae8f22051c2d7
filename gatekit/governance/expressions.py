r"""A small, safe expression language for policy conditions, built on Python's ``ast``.

An expression is parsed once, checked against a whitelist of node types and limits,
and compiled into nested closures; evaluating it never calls ``eval`` and can only
read the values it is given. Grammar (a subset of Python expressions)::

    expr     := expr "or" expr | expr "and" expr | "not" expr
              | expr ("=="|"!="|"<"|"<="|">"|">="|"in"|"not in") expr   (chains allowed)
              | expr ("+"|"-"|"*"|"/"|"//"|"%") expr | "-" expr
              | expr "**" SMALL_CONSTANT                                 (|exponent| <= 8)
              | expr "if" expr "else" expr
              | NAME | expr "." NAME | expr "[" STRING_OR_INT "]"
              | FUNCTION "(" args ")" | literal | "[" literal, ... "]"
    literal  := number | "string" | true | false | null | unit literal (2000ms, 2s, 5%, 1.5k)
    FUNCTION := len lower upper startswith endswith contains matches abs min max time_between

Names and attributes starting with ``_`` are rejected (no dunder access); attribute access
reads dict keys, and a missing key is ``null``. Ordering comparisons with ``null`` or with
values of different types are false rather than errors. A string that reads as a number is that
number against a number, in arithmetic, ``==`` and ``in`` (``"900" == 900``, ``"10" * "20"``), and two
such strings are ordered as numbers; ``true``/``false`` are no numbers (``true == 1`` is false).

Cost is bounded, so a policy file cannot stall a run. At load time: at most 2,000 characters,
200 nodes and nesting depth 20; ``**`` takes a literal exponent of at most 8; arithmetic over
literals is computed once, at load, and a result over the limits below fails the load; a
``matches()`` pattern is at most 200 characters and must compile with RE2 (linear-time matching:
no backreferences, no lookaround; ``\w``, ``\d`` and ``\b`` are ASCII-only). At evaluation:
an integer result larger than ``2**1024``, a float overflow and a string built by ``+`` longer
than 1,000,000 characters raise :class:`EvaluationLimit` (the rule errors, so the case is denied);
every other step is linear in the size of its operands.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
from collections.abc import Callable
from typing import Any

from gatekit.units import parse_quantity

MAX_CHARS = 2000
MAX_NODES = 200
MAX_DEPTH = 20
MAX_EXPONENT = 8
MAX_INT_BITS = 1024  # integer results are at most 2**1024 (the float range); larger ones are an error
MAX_STRING_CHARS = 1_000_000  # a string built by ``+`` is at most this long
MAX_PATTERN_CHARS = 200

Env = dict[str, Any]
Compiled = Callable[[Env], Any]


class ExpressionError(ValueError):
    """An expression that is not valid in the policy expression language."""


# a string literal (left alone) or a number with a unit suffix (rewritten to a plain number)
_UNIT_LITERAL = re.compile(
    r"(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?<![\w.])(?P<num>\d+(?:\.\d+)?)(?P<unit>ms|us|µs|s|min|m|h|%|pp|k|K|M)(?![\w.])"
)


_STRING_LITERAL = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def _rewrite_units(source: str) -> str:
    def repl(match: re.Match[str]) -> str:
        if match.group("str") is not None:
            return match.group("str")
        return repr(parse_quantity(match.group("num") + match.group("unit")))

    return _UNIT_LITERAL.sub(repl, source)


# isinstance() with a tuple of types: ``int | float`` would build a union object on every call
_NUMBER_TYPES = (int, float)
_SIZED_TYPES = (str, list, dict, tuple)
_CONTAINER_TYPES = (list, tuple, dict, set, frozenset)
_INDEXED_TYPES = (list, tuple, str)


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is int or kind is float:
        return True
    return kind is not bool and isinstance(value, _NUMBER_TYPES)


_NUMERIC_TEXT_MAX = 64  # a longer string is read by float() only (int() of a huge digit string is quadratic)


def _numeric_text(value: Any) -> Any:
    """``value`` as a number when it is a string that reads as one (``"900"``, ``" 9e2 "``, ``"1_000"``), else None.

    An agent may write a number as text (``{"amount": "900"}``) and the tool read it as the number: ordered
    against a number, such a string is that number, so ``tool.arguments.amount > 500`` holds for it.
    """
    if type(value) is not str:
        return None
    if len(value) <= _NUMERIC_TEXT_MAX:
        try:
            return int(value)
        except ValueError:
            pass
    try:  # (linear in the text: "000...0900" or 900 after many blanks is 900, as the tool reads it)
        return float(value)
    except ValueError:
        return None


def _as_number(value: Any) -> Any:
    """``value`` when a number, the number a numeric string reads as (:func:`_numeric_text`), else None."""
    return value if _is_number(value) else _numeric_text(value)


def _equal(left: Any, right: Any) -> bool:
    """``==`` of the language: a number equals a string reading as it (``"900" == 900``); ``true`` is not 1."""
    left_type, right_type = type(left), type(right)
    if left_type is bool or right_type is bool:
        return left_type is right_type and left is right
    if left_type is str and _is_number(right):
        number = _numeric_text(left)
        return number is not None and bool(number == right)
    if right_type is str and _is_number(left):
        number = _numeric_text(right)
        return number is not None and bool(left == number)
    return bool(left == right)


def _not_equal(left: Any, right: Any) -> bool:
    return not _equal(left, right)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else None


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else None


def _len(value: Any) -> Any:
    return len(value) if isinstance(value, _SIZED_TYPES) else None


def _startswith(value: Any, prefix: Any) -> bool:
    return isinstance(value, str) and isinstance(prefix, str) and value.startswith(prefix)


def _endswith(value: Any, suffix: Any) -> bool:
    return isinstance(value, str) and isinstance(suffix, str) and value.endswith(suffix)


def _contains(value: Any, item: Any) -> bool:
    return _in(item, value)


def _abs(value: Any) -> Any:
    number = _as_number(value)
    return None if number is None else abs(number)


def _min(*values: Any) -> Any:
    numbers = [n for n in map(_as_number, values) if n is not None]
    return min(numbers) if numbers else None


def _max(*values: Any) -> Any:
    numbers = [n for n in map(_as_number, values) if n is not None]
    return max(numbers) if numbers else None


@functools.lru_cache(maxsize=1)
def _re2_options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # a bad pattern is reported once, as a policy error, not logged by RE2 too
    return options


@functools.lru_cache(maxsize=256)
def _linear_regex(pattern: str) -> Any:
    """``pattern`` compiled by RE2 (matching time linear in the text), over UTF-8 bytes; ValueError if it cannot be."""
    import re2

    try:
        return re2.compile(pattern.encode("utf-8"), _re2_options())
    except UnicodeEncodeError:
        raise ValueError("the pattern is not valid Unicode") from None
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        raise ValueError(detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)) from None


def _clock_minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    value = int(hours) * 60 + int(minutes or 0)
    if not 0 <= value <= 24 * 60:
        raise ValueError(text)
    return value


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _len,
    "lower": _lower,
    "upper": _upper,
    "startswith": _startswith,
    "endswith": _endswith,
    "contains": _contains,
    "abs": _abs,
    "min": _min,
    "max": _max,
}
_ARITY: dict[str, tuple[int, int]] = {
    "len": (1, 1),
    "lower": (1, 1),
    "upper": (1, 1),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "contains": (2, 2),
    "abs": (1, 1),
    "min": (1, 8),
    "max": (1, 8),
    "matches": (2, 2),
    "time_between": (2, 2),
}


def _in(item: Any, container: Any) -> bool:
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if not isinstance(container, _CONTAINER_TYPES):
        return False
    if item is None or type(item) is str:
        try:
            if item in container:  # (text equals text, null null: Python's ``in``, its own speed)
                return True
        except TypeError:
            return False
        if item is None or not any(_is_number(member) for member in container):
            return False
        number = _numeric_text(item)  # ("900" in [900]: the number the text reads as)
        return number is not None and any(_is_number(member) and bool(member == number) for member in container)
    # a number, true/false, a list...: equal as ``==`` says (true not in [1], 900 in ["900"])
    return any(_equal(item, member) for member in container)


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, ast.Eq):
        return _equal(left, right)
    if isinstance(op, ast.NotEq):
        return not _equal(left, right)
    if isinstance(op, ast.In):
        return _in(left, right)
    if isinstance(op, ast.NotIn):
        return not _in(left, right)
    if left is None or right is None:
        return False
    if isinstance(left, str) and isinstance(right, str):
        left, right = _texts_ordered(left, right)
    elif not (_is_number(left) and _is_number(right)):
        left, right = _as_numbers(left, right)
        if left is None or right is None:
            return False
    if isinstance(op, ast.Lt):
        return bool(left < right)
    if isinstance(op, ast.LtE):
        return bool(left <= right)
    if isinstance(op, ast.Gt):
        return bool(left > right)
    return bool(left >= right)  # GtE (other comparison operators are rejected at compile time)


class EvaluationLimit(ExpressionError):
    """An evaluation went over a size limit (a number or a string too large); the rule errors, so it denies."""


def _int_result(value: Any) -> Any:
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        raise EvaluationLimit(f"an integer result is larger than 2**{MAX_INT_BITS}")
    return value


def _add(left: Any, right: Any) -> Any:
    if isinstance(left, str) and isinstance(right, str):
        if len(left) + len(right) > MAX_STRING_CHARS:
            raise EvaluationLimit(f"a string result is longer than {MAX_STRING_CHARS:,} characters")
        return left + right
    left, right = _as_number(left), _as_number(right)  # (a number plus "900": 900 added, as the tool reads it)
    if left is None or right is None:
        return None
    return _int_result(left + right)


def _sub(left: Any, right: Any) -> Any:
    left, right = _as_number(left), _as_number(right)
    if left is None or right is None:
        return None
    return _int_result(left - right)


def _mul(left: Any, right: Any) -> Any:
    left, right = _as_number(left), _as_number(right)
    if left is None or right is None:
        return None
    if type(left) is int and type(right) is int and left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
        raise EvaluationLimit(f"an integer result is larger than 2**{MAX_INT_BITS}")
    return _int_result(left * right)


def _pow(left: Any, right: Any) -> Any:
    left, right = _as_number(left), _as_number(right)
    if left is None or right is None:
        return None
    if type(left) is int and type(right) is int and right > 0 and left.bit_length() * right > MAX_INT_BITS + 1:
        raise EvaluationLimit(f"an integer result is larger than 2**{MAX_INT_BITS}")
    result = left**right
    return None if isinstance(result, complex) else _int_result(result)  # (-8) ** 0.5 is not a number here


def _div(left: Any, right: Any) -> Any:
    left, right = _as_number(left), _as_number(right)
    if left is None or right is None or right == 0:
        return None
    return left / right


def _floordiv(left: Any, right: Any) -> Any:
    left, right = _as_number(left), _as_number(right)
    if left is None or right is None or right == 0:
        return None
    return left // right


def _mod(left: Any, right: Any) -> Any:
    left, right = _as_number(left), _as_number(right)
    if left is None or right is None or right == 0:
        return None
    return left % right


_ARITH_FN: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: _sub,
    ast.Mult: _mul,
    ast.Pow: _pow,
    ast.Div: _div,
    ast.FloorDiv: _floordiv,
    ast.Mod: _mod,
}


def _arith(op: ast.operator, left: Any, right: Any) -> Any:
    """``left <op> right`` with the language's rules: numbers only (``+`` on strings too), bounded sizes.

    Float overflow and ``0 ** -1`` raise :class:`EvaluationLimit` (the rule errors and so denies).
    """
    try:
        return _ARITH_FN[type(op)](left, right)
    except (OverflowError, ZeroDivisionError) as exc:
        raise EvaluationLimit(f"arithmetic error: {exc}") from None


def _texts_ordered(left: str, right: str) -> tuple[Any, Any]:
    """Two texts as they are ordered: as numbers when both read as one (``"900" < "1000"``), else as text."""
    left_number, right_number = _numeric_text(left), _numeric_text(right)
    if left_number is None or right_number is None:
        return left, right
    return left_number, right_number


def _as_numbers(left: Any, right: Any) -> tuple[Any, Any]:
    """A number and a string reading as one (:func:`_numeric_text`) as two numbers; otherwise (None, None)."""
    if _is_number(left):
        return left, _numeric_text(right)
    if _is_number(right):
        return _numeric_text(left), right
    return None, None


def _ordering(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], bool]:
    """``op`` on two numbers or two strings (a numeric string and a number, or two numeric strings: two numbers); else False."""

    def ordered(left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        if _is_number(left) and _is_number(right):
            return bool(op(left, right))
        if isinstance(left, str) and isinstance(right, str):
            return bool(op(*_texts_ordered(left, right)))
        left, right = _as_numbers(left, right)
        return left is not None and right is not None and bool(op(left, right))

    return ordered


# one function per comparison operator, picked at compile time; same results as _compare
_COMPARE_FN: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: _equal,
    ast.NotEq: _not_equal,
    ast.In: _in,
    ast.NotIn: lambda left, right: not _in(left, right),
    ast.Lt: _ordering(operator.lt),
    ast.LtE: _ordering(operator.le),
    ast.Gt: _ordering(operator.gt),
    ast.GtE: _ordering(operator.ge),
}

_ORDERING: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}

_COMPARE_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_ARITH_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_LITERAL_NAMES = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


def _is_constant(node: ast.AST) -> bool:
    """True for arithmetic over literals only (its value does not depend on the environment)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in _LITERAL_NAMES
    if isinstance(node, ast.UnaryOp):
        return not isinstance(node.op, ast.Not) and _is_constant(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left) and _is_constant(node.right)
    return False


def _is_literal(node: ast.AST) -> bool:
    """A constant, or a list / tuple of constants (its value does not depend on the environment)."""
    if isinstance(node, ast.List | ast.Tuple):
        return all(isinstance(e, ast.Constant) for e in node.elts)
    return isinstance(node, ast.Constant)


class _Compiler:
    def __init__(self, source: str, names: frozenset[str] | None, parsed: str = "") -> None:
        self.source = source
        self.parsed = parsed  # (the text parsed: the source stripped, its units rewritten; "" when not known)
        self.names = names
        self.used_names: set[str] = set()

    def fail(self, node: ast.AST | None, message: str) -> ExpressionError:
        """The error ``message`` naming the part of the expression at fault (its text, not an offset into it)."""
        part = ast.get_source_segment(self.parsed, node) if self.parsed and node is not None else None
        where = f" (at {part[:80]!r})" if part and part != self.source.strip() and repr(part) not in message else ""
        return ExpressionError(f"{message}{where} in expression {self.source!r}")

    def compile(self, node: ast.AST) -> Compiled:  # noqa: C901 - one branch per node type
        if isinstance(node, ast.Constant):
            value = node.value
            if not (value is None or isinstance(value, bool | int | float | str)):
                raise self.fail(node, f"literal {value!r} is not allowed")
            return lambda env: value
        if isinstance(node, ast.Name):
            name = node.id
            if name in _LITERAL_NAMES:
                literal = _LITERAL_NAMES[name]
                return lambda env: literal
            if name.startswith("_"):
                raise self.fail(node, f"name {name!r} is not allowed (names starting with '_' are reserved)")
            if self.names is not None and name not in self.names:
                raise self.fail(node, f"unknown name {name!r}; known names: {', '.join(sorted(self.names))}")
            self.used_names.add(name)
            return lambda env: env.get(name)
        if isinstance(node, ast.Attribute):
            attr = node.attr
            if attr.startswith("_"):
                raise self.fail(node, f"attribute {attr!r} is not allowed (no '_' or dunder access)")
            path = _attribute_path(node)
            if path is not None:  # ``tool.arguments.amount``: one closure walks the whole chain
                root, attrs = path
                self.compile(node.value)  # validates every name and attribute on the way (same errors)
                return _path_getter(root, attrs)
            base = self.compile(node.value)

            def get_attr(env: Env) -> Any:
                value = base(env)
                return value.get(attr) if isinstance(value, dict) else None

            return get_attr
        if isinstance(node, ast.Subscript):
            key_node = node.slice
            if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str | int)):
                raise self.fail(node, "only a constant string or integer may be used as an index")
            key = key_node.value
            if isinstance(key, str) and key.startswith("_"):
                raise self.fail(node, f"key {key!r} is not allowed (no '_' or dunder access)")
            base = self.compile(node.value)

            def get_item(env: Env) -> Any:
                value = base(env)
                if isinstance(value, dict):
                    return value.get(key)
                if isinstance(value, _INDEXED_TYPES) and isinstance(key, int) and -len(value) <= key < len(value):
                    return value[key]
                return None

            return get_item
        if isinstance(node, ast.BoolOp):
            parts = tuple(self.compile(v) for v in node.values)
            if isinstance(node.op, ast.And):

                def all_of(env: Env) -> bool:
                    for part in parts:
                        if not part(env):
                            return False
                    return True

                return all_of

            def any_of(env: Env) -> bool:
                for part in parts:
                    if part(env):
                        return True
                return False

            return any_of
        if isinstance(node, ast.UnaryOp):
            operand = self.compile(node.operand)
            if isinstance(node.op, ast.Not):
                return lambda env: not operand(env)
            if isinstance(node.op, ast.USub):
                return lambda env: None if (v := _as_number(operand(env))) is None else -v
            if isinstance(node.op, ast.UAdd):
                return lambda env: _as_number(operand(env))
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.BinOp):
            op = node.op
            if not isinstance(op, _ARITH_OPS):
                raise self.fail(node, f"operator {type(op).__name__} is not allowed")
            if isinstance(op, ast.Pow):
                exp = node.right
                if isinstance(exp, ast.UnaryOp) and isinstance(exp.op, ast.USub):
                    exp = exp.operand
                exponent = exp.value if isinstance(exp, ast.Constant) else None
                if not (_is_number(exponent) and abs(exponent) <= MAX_EXPONENT):  # type: ignore[arg-type]
                    raise self.fail(node, f"'**' needs a constant exponent of at most {MAX_EXPONENT}")
            left, right = self.compile(node.left), self.compile(node.right)
            if _is_constant(node):  # evaluated once, here: a constant over the size limits fails the load
                try:
                    value = _arith(op, left({}), right({}))
                except EvaluationLimit as exc:
                    raise self.fail(node, str(exc)) from None
                return lambda env: value
            return lambda env: _arith(op, left(env), right(env))
        if isinstance(node, ast.Compare):
            for cmp in node.ops:
                if not isinstance(cmp, _COMPARE_OPS):
                    raise self.fail(node, f"comparison {type(cmp).__name__} is not allowed")
            operands = [self.compile(node.left)] + [self.compile(c) for c in node.comparators]
            ops = list(node.ops)
            if len(ops) == 1:
                left, right = operands[0], operands[1]
                compare = _COMPARE_FN[type(ops[0])]
                if _is_literal(node.comparators[0]):
                    constant = right({})  # a literal right-hand side is evaluated once, at load time
                    ordering = _ORDERING.get(type(ops[0]))
                    if ordering is not None and _is_number(constant):
                        # against a number, _ordering(op)(left, constant) is "left is a number, or a numeric string"
                        left_node = node.left
                        if isinstance(left_node, ast.Name) and left_node.id not in _LITERAL_NAMES:
                            name = left_node.id  # validated by compile() above; read it directly

                            def name_against_number(env: Env) -> bool:
                                value = env.get(name)
                                kind = type(value)  # (_is_number inline: a call costs more than the test)
                                if (
                                    kind is int
                                    or kind is float
                                    or (kind is not bool and isinstance(value, _NUMBER_TYPES))
                                ):
                                    return bool(ordering(value, constant))
                                number = _numeric_text(value)  # ("900": the number an agent wrote as text)
                                return number is not None and bool(ordering(number, constant))

                            return name_against_number
                        path = _attribute_path(left_node) if isinstance(left_node, ast.Attribute) else None
                        if path is not None:  # ``tool.arguments.amount > 500``: the chain read here, no getter call
                            root, attrs = path

                            def path_against_number(env: Env) -> bool:
                                value = env.get(root)
                                for attr in attrs:  # (as _path_getter's: not a mapping on the way, no number)
                                    if not isinstance(value, dict):
                                        return False
                                    value = value.get(attr)
                                kind = type(value)
                                if (
                                    kind is int
                                    or kind is float
                                    or (kind is not bool and isinstance(value, _NUMBER_TYPES))
                                ):
                                    return bool(ordering(value, constant))
                                number = _numeric_text(value)
                                return number is not None and bool(ordering(number, constant))

                            return path_against_number

                        def against_number(env: Env) -> bool:
                            value = left(env)
                            kind = type(value)  # (_is_number, its usual cases first)
                            if kind is int or kind is float or (kind is not bool and isinstance(value, _NUMBER_TYPES)):
                                return bool(ordering(value, constant))
                            number = _numeric_text(value)
                            return number is not None and bool(ordering(number, constant))

                        return against_number
                    if isinstance(ops[0], ast.Eq) and (
                        constant is None or (type(constant) is str and _numeric_text(constant) is None)
                    ):  # (as _equal's, without its call: only text equal to it, or null, equals such a constant)
                        left_node = node.left
                        path = _attribute_path(left_node) if isinstance(left_node, ast.Attribute) else None
                        if path is not None:  # ``context.env == "production"``: the chain read here, no getter call
                            root, attrs = path

                            def path_equals(env: Env) -> bool:
                                value = env.get(root)
                                for attr in attrs:  # (as _path_getter's: None as soon as a value is not a mapping)
                                    if not isinstance(value, dict):
                                        value = None
                                        break
                                    value = value.get(attr)
                                return bool(value == constant)

                            return path_equals
                        return lambda env: bool(left(env) == constant)
                    if (
                        isinstance(ops[0], ast.In | ast.NotIn)
                        and isinstance(constant, list)
                        and all(m is None or (type(m) is str and _numeric_text(m) is None) for m in constant)
                    ):  # ``tool.name in ["a", "b"]``: only text as written (or null) can be in it, as _in says
                        members = frozenset(constant)
                        if isinstance(ops[0], ast.In):
                            return lambda env: (type(v := left(env)) is str or v is None) and v in members
                        return lambda env: not ((type(v := left(env)) is str or v is None) and v in members)
                    return lambda env: compare(left(env), constant)
                return lambda env: compare(left(env), right(env))

            def chain(env: Env) -> bool:
                left_value = operands[0](env)
                for index, op in enumerate(ops):
                    right_value = operands[index + 1](env)
                    if not _compare(op, left_value, right_value):
                        return False
                    left_value = right_value
                return True

            return chain
        if isinstance(node, ast.IfExp):
            test, body, orelse = self.compile(node.test), self.compile(node.body), self.compile(node.orelse)
            return lambda env: body(env) if test(env) else orelse(env)
        if isinstance(node, ast.List | ast.Tuple):
            if all(isinstance(e, ast.Constant) for e in node.elts):
                constant = [self.compile(e)({}) for e in node.elts]  # built once, never mutated
                return lambda env: constant
            items = [self.compile(e) for e in node.elts]
            return lambda env: [i(env) for i in items]
        if isinstance(node, ast.Call):
            return self.compile_call(node)
        raise self.fail(node, f"{type(node).__name__} is not allowed in a policy expression")

    def compile_call(self, node: ast.Call) -> Compiled:
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise self.fail(node, "only calls of built-in functions with positional arguments are allowed")
        name = node.func.id
        if name not in _ARITY:
            raise self.fail(node, f"unknown function {name!r}; functions: {', '.join(sorted(_ARITY))}")
        low, high = _ARITY[name]
        if not low <= len(node.args) <= high:
            raise self.fail(node, f"{name}() takes {low} to {high} arguments")
        if name == "matches":
            pattern_node = node.args[1]
            if not (isinstance(pattern_node, ast.Constant) and isinstance(pattern_node.value, str)):
                raise self.fail(node, "matches(text, pattern) needs a constant pattern string")
            pattern = pattern_node.value
            if len(pattern) > MAX_PATTERN_CHARS:
                raise self.fail(node, f"matches() pattern is longer than {MAX_PATTERN_CHARS} characters")
            try:
                regex = _linear_regex(pattern)
            except ValueError as exc:
                raise self.fail(
                    node,
                    f"matches() pattern {pattern!r} cannot be used: {exc} (patterns run on RE2, in linear time: "
                    "no backreferences, no lookahead or lookbehind)",
                ) from None
            text = self.compile(node.args[0])
            search = regex.search

            def matches(env: Env) -> bool:
                value = text(env)
                return isinstance(value, str) and search(value.encode("utf-8", "replace")) is not None

            return matches
        if name == "time_between":
            bounds = []
            for arg in node.args:
                if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    raise self.fail(node, 'time_between("HH:MM", "HH:MM") needs constant times')
                try:
                    bounds.append(_clock_minutes(arg.value))
                except ValueError:
                    raise self.fail(node, f"time_between(): {arg.value!r} is not a HH:MM time") from None
            start, end = bounds
            self.used_names.add("time")

            def between(env: Env) -> bool:
                clock = env.get("time")
                if not isinstance(clock, dict) or clock.get("minute_of_day") is None:
                    return False
                now = clock["minute_of_day"]
                return bool(start <= now < end) if start <= end else bool(now >= start or now < end)

            return between
        func = _FUNCTIONS[name]
        args = [self.compile(a) for a in node.args]
        return lambda env: func(*[a(env) for a in args])


def _attribute_path(node: ast.Attribute) -> tuple[str, tuple[str, ...]] | None:
    """``(name, (attr, ...))`` for a chain ``name.attr.attr...`` rooted at a plain name, else None."""
    attrs: list[str] = []
    current: ast.AST = node
    while isinstance(current, ast.Attribute):
        attrs.append(current.attr)
        current = current.value
    if not isinstance(current, ast.Name) or current.id in _LITERAL_NAMES:
        return None
    return current.id, tuple(reversed(attrs))


def _path_getter(root: str, attrs: tuple[str, ...]) -> Compiled:
    """``env[root].a.b...`` where each step reads a mapping key (None as soon as a value is not a mapping)."""
    if len(attrs) == 1:
        (attr,) = attrs

        def get_one(env: Env) -> Any:
            value = env.get(root)
            return value.get(attr) if isinstance(value, dict) else None

        return get_one

    def get_path(env: Env) -> Any:
        value = env.get(root)
        for attr in attrs:
            if not isinstance(value, dict):
                return None
            value = value.get(attr)
        return value

    return get_path


def _check_shape(tree: ast.AST, source: str) -> None:
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(f"expression has more than {MAX_NODES} nodes: {source[:60]!r}...")
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels: {source[:60]!r}...")
        for child in ast.iter_child_nodes(node):
            stack.append((child, depth + 1))


class Expression:
    """A compiled expression: ``Expression(source)(env)`` returns its value."""

    __slots__ = ("source", "names", "_fn", "_body", "_allowed")

    def __init__(self, source: str, names: frozenset[str] | None = None, *, _node: ast.expr | None = None) -> None:
        if _node is not None:  # an operand of an already checked expression (:meth:`conjuncts`)
            self._compile(source, _node, names)
            return
        if not isinstance(source, str) or not source.strip():
            raise ExpressionError("an expression must be a non-empty string")
        if len(source) > MAX_CHARS:
            raise ExpressionError(f"expression is longer than {MAX_CHARS} characters")
        self.source = source
        rewritten = _rewrite_units(source.strip())
        bracketed = _STRING_LITERAL.sub("", rewritten)  # (a bracket in a string or a pattern nests nothing)
        if bracketed.count("(") + bracketed.count("[") > 2 * MAX_DEPTH:
            raise ExpressionError(f"expression is nested deeper than {MAX_DEPTH} levels: {source[:60]!r}...")
        try:
            tree = ast.parse(rewritten, mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            msg = getattr(exc, "msg", None) or type(exc).__name__
            raise ExpressionError(f"cannot parse expression {source!r}: {msg}") from None
        _check_shape(tree, source)
        self._compile(source, tree.body, names, rewritten)

    def _compile(self, source: str, body: ast.expr, names: frozenset[str] | None, parsed: str = "") -> None:
        compiler = _Compiler(source, names, parsed)
        self.source = source
        self._fn = compiler.compile(body)
        self.names = frozenset(compiler.used_names)
        self._body = body
        self._allowed = names

    @property
    def tree(self) -> ast.expr:
        """The parsed expression (after the whitelist check)."""
        return self._body

    def conjuncts(self) -> list[Expression]:
        """The operands of a top-level ``and``, each compiled on its own (``[self]`` for any other form).

        ``all(part(env) for part in conjuncts())`` equals ``bool(self(env))`` for an ``and`` and the
        operands are evaluated in the same order, so a caller may evaluate a prefix that does not
        depend on some name once and reuse it.
        """
        body = self._body
        if not (isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And)):
            return [self]
        return [Expression(self.source, self._allowed, _node=node) for node in body.values]

    def __call__(self, env: Env) -> Any:
        """Evaluate against ``env`` (a dict of top-level names)."""
        return self._fn(env)

    def evaluator(self) -> Compiled:
        """The compiled function itself: ``evaluator()(env) == self(env)`` without the extra call (hot paths)."""
        return self._fn

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


__all__ = ["Expression", "ExpressionError"]
