"""Round speed20's fast paths agree with what defines them (each a shortcut that must not change a finding)."""

from __future__ import annotations

import random

from gatekit.governance.detectors import scan
from gatekit.governance.detectors.ip import _NAMED_PACKAGE, _NAMED_REACH, _PACKAGE_WORDS, _package_named

_NAMES = ["package", "Packages", "NuGet", "gem", "pip", "npm", "paket", "address", "server", "IP", "host", "pypi"]
_TOKENS = ["Foo.Bar", "rails-html-sanitizer", "foo_bar", "x", "a.", ".a", "a-b", "a_", "1.2", "System.Text.Json"]
_TOKENS += ["registry", "", "ab" * 60 + ".c", "é.b", "(a.b)", "a.b,", "'a-b'", "a.b" * 40]
_BLANKS = [" ", "  ", "\t", "\n", " \n", "\u00a0", "", ":", " - ", "\u2003"]


def _by_the_search(text: str, start: int) -> bool:
    """What _package_named answers by _NAMED_PACKAGE's search alone (its definition)."""
    named = _NAMED_PACKAGE.search(text, start - _NAMED_REACH if start > _NAMED_REACH else 0, start)
    return named is not None and named.group(1).lower() in _PACKAGE_WORDS


def test_the_package_check_equals_the_search_on_random_prefixes() -> None:
    """The id's "." "-" or "_" is tested first (most quads follow a plain word): the same answers as the search."""
    rng = random.Random(20)
    named = 0
    for _ in range(20_000):
        parts = []
        for _ in range(rng.randrange(1, 5)):
            parts += [rng.choice(_NAMES), rng.choice(_BLANKS), rng.choice(_TOKENS), rng.choice(_BLANKS)]
        prefix = "".join(parts)
        if rng.random() < 0.2:
            prefix = "".join(rng.choice("ab .-_\t\nPk") for _ in range(rng.randrange(150))) + prefix
        text = prefix + "10.1.2.3 tail"
        expected = _by_the_search(text, len(prefix))
        named += expected
        assert _package_named(text, len(prefix)) is expected, repr(prefix)
    assert 500 < named < 19_500  # (both answers are tested often)


def test_a_quad_after_a_package_id_is_a_release_and_after_a_word_an_address() -> None:
    assert scan("Installed package System.Text.Json 8.0.5.1 from nuget.org") == []
    assert [f.value for f in scan("keep getting address 165.165.185.178 blocked")] == ["165.165.185.178"]


_LABEL_WORDS = ["Batch IDs processed", "Orders shipped", "Tickets CLOSED", "IDs affected", "Mobile", "Fax", "Phone"]
_LABEL_WORDS += ["contacted", "Order hotline", "Ref", "Invoice numbers", "Einwohner", "n°", "ÉTÉ", "ed", "d", "", "Kd"]


def test_the_participle_pretest_never_hides_a_participle() -> None:
    """_labelled reads a participle's label only when the word before the colon ends in "d" or "D": where it does not,
    _labelled_participle says no (the only characters whose lower case ends in "d" are "d" and "D")."""
    from gatekit.governance.detectors.phone import _D, _labelled_participle

    assert [chr(code) for code in range(0x110000) if chr(code).lower().endswith("d")] == ["D", "d"]
    rng = random.Random(21)
    for _ in range(5_000):
        before = rng.choice(["", "x ", "Order ", "Batch\n", "a, "]) + rng.choice(_LABEL_WORDS)
        before += rng.choice([":", ": ", " : ", ":\t", "::", ": :", " :  "])
        if before.rstrip(" \t:")[-1:] not in _D:
            assert not _labelled_participle(before), repr(before)
    assert _labelled_participle("Batch IDs processed: ")
