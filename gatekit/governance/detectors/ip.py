"""IP_ADDRESS: IPv4 and IPv6 addresses, validated by the standard library's ``ipaddress``.

An IPv4 address may be glued to a word (``IP is192.168.1.1``) but not to another number or dot. Not
findings: the unspecified addresses (``0.0.0.0``, ``::``) and the IPv4 broadcast address, which no
person has; octets with leading zeros (``ipaddress`` refuses them).
"""

from __future__ import annotations

import ipaddress
import re

from gatekit.governance.detectors.base import Detector


def ipv4_ok(value: str) -> bool:
    """A valid IPv4 address that is not 0.0.0.0 nor 255.255.255.255."""
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return not address.is_unspecified and value != "255.255.255.255"


def ipv6_ok(value: str) -> bool:
    """A valid IPv6 address (not ``::``)."""
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return not address.is_unspecified


IPV4 = Detector(
    "IP_ADDRESS",
    re.compile(r"\d(?<![\d.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\d]|\.\d)", re.ASCII),
    ipv4_ok,
    score=0.9,
    hints=(".",),
    needs_digit=True,
)
IPV6 = Detector(
    "IP_ADDRESS",
    re.compile(
        r"(?<![0-9A-Za-z:_])(?=[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]{3,39}+(?![0-9A-Za-z:_.])", re.ASCII
    ),
    ipv6_ok,
    score=0.9,
    hints=(":",),
)
