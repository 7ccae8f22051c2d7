"""``gatekit.yamlio``: the strict YAML reader every config file goes through, and its one-line messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from gatekit.yamlio import MAX_YAML_DEPTH, YamlError, load_yaml, pydantic_message, read_yaml, safe_load


class _Bad(Exception):
    pass


def _error(text: str) -> YamlError:
    with pytest.raises(YamlError) as info:
        load_yaml(text)
    return info.value


def test_a_document_gives_data_and_its_node_tree() -> None:
    data, node = load_yaml("a: 1\nb:\n  - x\n  - {c: true}\n")
    assert data == {"a": 1, "b": ["x", {"c": True}]}
    assert isinstance(node, yaml.MappingNode)
    assert load_yaml("") == (None, None) and load_yaml("# only a comment\n") == (None, None)
    assert safe_load("- 1\n- 2\n") == [1, 2]


@pytest.mark.parametrize(
    ("text", "line", "key", "first"),
    [
        ("a: 1\na: 2\n", 2, "a", 1),
        ("a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n", 5, "c", 3),  # nested
        ('"a": 1\na: 2\n', 2, "a", 1),  # the same key quoted and plain
        ("1: x\n1.0: y\n", 2, "1.0", 1),  # equal values written differently
        ("rules:\n  - id: r1\nother: 1\nrules: []\n", 4, "rules", 1),  # a second rules: would replace the first
    ],
)
def test_a_duplicate_key_names_both_lines(text: str, line: int, key: str, first: int) -> None:
    error = _error(text)
    assert error.line == line
    assert str(error) == (
        f"line {line}: duplicate key '{key}' (first on line {first}); keep one of them — YAML would silently use the last"
    )


def test_the_same_key_in_different_mappings_is_fine() -> None:
    assert safe_load("a: {x: 1}\nb: {x: 2}\nc:\n  - x: 3\n  - x: 4\n") == {
        "a": {"x": 1},
        "b": {"x": 2},
        "c": [{"x": 3}, {"x": 4}],
    }


def test_an_alias_is_refused_on_its_line_an_anchor_alone_is_not() -> None:
    error = _error("x: &a [1, 2]\ny: 3\nz: *a\n")
    assert error.line == 3 and "YAML alias '*a' is not allowed" in str(error)
    assert safe_load("x: &a 1\n") == {"x": 1}


def test_a_billion_laughs_bomb_fails_fast_at_its_first_alias() -> None:
    lines = ["a0: &a0 [lol]"] + [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    error = _error("\n".join(lines) + "\n")
    assert error.line == 2 and "alias '*a0'" in str(error)


def test_nesting_is_bounded_at_max_depth() -> None:
    assert MAX_YAML_DEPTH == 100
    depth = MAX_YAML_DEPTH
    assert safe_load("[" * depth + "]" * depth) is not None
    error = _error("[" * (depth + 1) + "]" * (depth + 1))
    assert str(error) == f"line 1: nested deeper than {depth} levels"
    indented = "".join("  " * i + f"k{i}:\n" for i in range(depth + 20)) + "  " * (depth + 20) + "x: 1\n"
    assert _error(indented).line == depth  # the block mapping that goes too deep


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_very_deep_input_is_an_error_not_a_recursion_crash(depth: int) -> None:
    assert "nested deeper than" in str(_error("[" * depth))


def test_python_tags_are_not_constructed() -> None:
    error = _error("a: !!python/object/apply:os.system ['echo hi']\n")
    assert error.line == 1 and "could not determine a constructor" in str(error)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("a: [1, 2\n", 2, "expected ',' or ']'"),
        ("key: value\n  bad: indent\n", 2, "mapping values are not allowed here"),
        ("a: 1\n--- \nb: 2\n", 2, "expected a single document in the stream but found another document"),
        ("? [1, 2]\n: x\n", 1, "found unhashable key"),
    ],
)
def test_invalid_yaml_is_one_line_with_its_line(text: str, line: int, problem: str) -> None:
    error = _error(text)
    assert error.line == line and problem in str(error) and "\n" not in str(error)


def test_read_yaml_gives_the_mapping_and_the_line_of_every_key(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("# header\nchecks:\n  error_rate:\n    max: 1%\n  p95:\n    - 1\n    - {x: 2}\n", encoding="utf-8")
    data, lines = read_yaml(path, _Bad, "thresholds")
    assert data == {"checks": {"error_rate": {"max": "1%"}, "p95": [1, {"x": 2}]}}
    assert lines[("checks",)] == 2 and lines[("checks", "error_rate", "max")] == 4
    assert lines[("checks", "p95", "1", "x")] == 7
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert read_yaml(empty, _Bad, "thresholds") == ({}, {})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "{path}: thresholds file not found; check the path"),
        (b"a: \xff\xfe\n", "{path}: cannot read thresholds file:"),
        (b"a: 1\na: 2\n", "{path}:2: invalid YAML: duplicate key 'a' (first on line 1);"),
        (b"- 1\n- 2\n", "{path}: thresholds must be a YAML mapping (key: value), got list"),
        (b"just text\n", "{path}: thresholds must be a YAML mapping (key: value), got str"),
    ],
)
def test_read_yaml_errors_name_the_file_and_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "thresholds.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(_Bad) as info:
        read_yaml(path, _Bad, "thresholds")
    assert str(info.value).startswith(message.format(path=path))
    assert "\n" not in str(info.value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int


def test_pydantic_errors_become_one_line_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nsize: big\ncolour: red\n", encoding="utf-8")
    data, lines = read_yaml(path, _Bad, "config")
    with pytest.raises(ValidationError) as info:
        _Model.model_validate(data)
    message = pydantic_message(path, info.value, lines)
    assert f"{path}:2: size: expected a whole number, got 'big'" in message
    assert f"{path}:3: unknown key 'colour'; remove it or check its spelling" in message
    assert "\n" not in message
    with pytest.raises(ValidationError) as info:
        _Model.model_validate({})
    assert pydantic_message(path, info.value, {}) == f"{path}: name: Field required; {path}: size: Field required"


def test_more_than_five_errors_are_counted_not_listed(tmp_path: Path) -> None:
    class Wide(BaseModel):
        a: int
        b: int
        c: int
        d: int
        e: int
        f: int
        g: int

    with pytest.raises(ValidationError) as info:
        Wide.model_validate({})
    message = pydantic_message(tmp_path / "w.yaml", info.value, {})
    assert message.count("Field required") == 5 and message.endswith("; and 2 more")
