"""The IPv4 detector's fast paths agree with what defines them: the numbering-word regex, ``ipaddress``."""

from __future__ import annotations

import ipaddress
import random

import pytest

from gatekit.governance.detectors import scan
from gatekit.governance.detectors.ip import _NUMBERED_BY, _numbered, ipv4_ok

_WORDS = ["version", "Version", "VER", "ver.", "build", "builds", "fw", "rev.", "sections", "Table", "fig.", "OID"]
_WORDS += ["no", "no.", "nr", "number", "v", "V", "§", "address", "from", "IP", "at", "s", "é", "sect.", "figures"]
_SEPS = [" ", "  ", "\t", ": ", ":", " #", "#", ". ", "", ".", ";", " no. ", " nr ", "\n", "\n\n", " \n", "-", "a", "1"]


def test_fast_check_equals_the_regex_on_random_prefixes() -> None:
    rng = random.Random(11)
    for _ in range(20_000):
        prefix = "".join(rng.choice(_WORDS) + rng.choice(_SEPS) for _ in range(rng.randrange(1, 5)))
        if rng.random() < 0.3:
            prefix = "".join(rng.choice("abc vV.:#§ \tno\n") for _ in range(rng.randrange(30))) + prefix
        text = prefix + "10.1.2.3 tail"
        start = len(prefix)
        expected = _NUMBERED_BY.search(text, max(0, start - 24), start) is not None
        assert _numbered(text, start) is expected, repr(prefix)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("firmware: 4.3.2.1 installed", False),
        ("see section no. 2.1.3.4", False),
        ("upgrade to v1.2.3.4 now", False),
        ("the server address 10.20.30.40 is down", True),
        ("from 172.16.5.4 at noon", True),
    ],
)
def test_numbered_quads_are_not_addresses(text: str, found: bool) -> None:
    assert any(f.type == "IP_ADDRESS" for f in scan(text)) is found


_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")


def _ipv4_by_ipaddress(value: str) -> bool:
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return False
    # (not "this network" 0.0.0.0/8, loopback, multicast 224.0.0.0/4 nor the reserved 240.0.0.0/4 and its broadcast)
    return not (address in _THIS_NETWORK or address.is_loopback or address.is_multicast or address.is_reserved)


def test_ipv4_ok_equals_ipaddress_on_random_strings() -> None:
    rng = random.Random(3)
    octets = ["0", "00", "01", "1", "9", "10", "99", "100", "127", "199", "249", "250", "255", "256", "999", "0000"]
    octets += ["", "\u0661", "\u00b2", "1 ", "+1"]
    for _ in range(20_000):
        if rng.random() < 0.7:
            value = ".".join(rng.choice(octets) for _ in range(rng.choice((3, 4, 4, 4, 5))))
        else:
            value = "".join(rng.choice("0123456789.  /%x\u0661\u00b2-+") for _ in range(rng.randrange(16)))
        assert ipv4_ok(value) is _ipv4_by_ipaddress(value), repr(value)
