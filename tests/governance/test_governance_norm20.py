"""Round norm20: text normalisation linear in the text, cheap on hostile input (issue 13), and mapping back as before."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

from conftest import REPO_ROOT, best_thread_time

from gatekit.governance.normalise import normalise

_SCRIPT = REPO_ROOT / "tests" / "data" / "normalise_norm20.py"


def _reference_module() -> object:
    spec = importlib.util.spec_from_file_location("normalise_norm20", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_normal_texts_offset_maps_and_findings_are_mains(shared_data: Path) -> None:
    """Differential: presidio's texts, and the same with zero-width characters, soft hyphens, NBSP, full-width
    characters, other digits, look-alike letters and escapes inserted at random places (3,090 texts, 600 K characters):
    the normal text, the start and end of every offset of it (detectors' and a terms list's) and the findings (the spans
    redaction replaces) are those main gave (``tests/data/normalise_norm20.json.gz``, written from main by
    ``tests/data/normalise_norm20.py``, see its doc)."""
    module = _reference_module()
    recorded = json.loads(gzip.decompress(module.OUTPUT.read_bytes()))  # type: ignore[attr-defined]
    texts = module.texts(shared_data)  # type: ignore[attr-defined]
    assert len(texts) == len(recorded) == 3090
    for text, expected in zip(texts, recorded, strict=True):
        assert module.record(text) == expected, text  # type: ignore[attr-defined]


def _run_with_piece(size: int) -> list[tuple[str, bool]]:
    """Texts of a long run of look-alike letters (Cyrillic "а") with a piece elsewhere that makes them joined."""
    run = "\u0430" * size
    return [
        ("a**b " + run + ".", False),  # (markdown's marks inside a word: read by the join)
        (run + "%40", True),  # (a terms list's text holding a "%": read by the join)
        ("%41 " + run + ".", False),
    ]


def test_a_long_run_of_look_alike_letters_is_joined_in_linear_time() -> None:
    """A run of look-alike letters followed by no ASCII letter was tried again from each of its letters: quadratic.

    (main: 4,000 letters 0.2 s, 16,000 3 s, 100 KB about two minutes; now ~1 ms per 10,000.)
    """
    for (small, terms), (large, _) in zip(_run_with_piece(4_000), _run_with_piece(16_000), strict=True):
        small_s = best_thread_time(lambda: normalise(small, confusables=terms))
        large_s = best_thread_time(lambda: normalise(large, confusables=terms))
        assert large_s < 6 * small_s + 0.002, (large[:8], small_s, large_s)


def test_a_run_of_look_alike_letters_is_read_as_latin_only_next_to_an_ascii_letter() -> None:
    run = "\u0430\u0435\u043e" * 3
    assert normalise("a**b " + run + ".").text == "ab " + run + "."
    assert normalise("a**b " + run + "x").text == "ab " + "aeo" * 3 + "x"
    assert normalise("x" + run + " a**b").text == "x" + "aeo" * 3 + " ab"
    assert normalise(run + "%40", confusables=True).text == "aeo" * 3 + "@"
    normal = normalise("a**b " + run + "x")
    assert (normal.start(3), normal.end(len(normal.text))) == (5, 5 + len(run) + 1)
