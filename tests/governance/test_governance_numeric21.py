"""Round numeric21: the number detectors' defects the dlp21 round recorded (ip.py, phone.py, card.py, normalise.py).

Each case's rule is the module's, in general: see docs/detectors.md and the modules' docs.
"""

from __future__ import annotations

import pytest
from conftest import check_linear_on_hostile_unit

from gatekit.governance.detectors import scan


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.value) for f in scan(text)]


@pytest.mark.parametrize(
    "text",
    [
        # a network's address before its mask on its line (a netmask, a wildcard mask; a gateway may come between)
        "ip route 172.16.0.0 255.240.0.0 Null0",
        "route add -net 10.0.0.0 netmask 255.0.0.0",
        "10.20.0.0       0.0.0.0         255.255.0.0     U     0      0        0 eth0",
        "network 10.1.0.0 0.0.255.255 area 0",
        "access-list 10 permit 192.168.10.0 0.0.0.255",
        "10.0.0.64 255.255.255.192",
        # a subnet's broadcast address after its word
        "broadcast 192.168.178.255",
        "Bcast:10.0.3.255  Mask:255.255.252.0",
        "brd 10.0.0.127",
        # IPv6 multicast groups (ff00::/8)
        "ping6 ff02::1%eth0",
        "join ff05::1:3 and ff02::fb",
    ],
)
def test_addresses_no_machine_has_are_no_findings(text: str) -> None:
    assert [value for kind, value in _found(text) if kind == "IP_ADDRESS"] == []


@pytest.mark.parametrize(
    ("text", "values"),
    [
        # a host's address before its netmask, or in a routing table's row
        ("inet 192.168.1.7 netmask 255.255.255.0 broadcast 192.168.1.255", ["192.168.1.7"]),
        ("10.20.0.5       0.0.0.0   255.255.0.0", ["10.20.0.5"]),
        ("inet 10.1.2.0 netmask 255.255.0.0", ["10.1.2.0"]),  # (a .0 host of a /16)
        ("server 10.1.2.0 is up", ["10.1.2.0"]),  # (no mask: a host of a larger network may end in .0)
        ("route add -net 10.0.0.0 netmask 255.0.0.0 gw 10.0.0.1", ["10.0.0.1"]),
        ("hosts 10.0.0.0 10.0.0.1", ["10.0.0.0", "10.0.0.1"]),  # (a host's address is no mask)
        ("broadcast 10.0.0.5", ["10.0.0.5"]),  # (no subnet's last address)
        ("ssh fe80::1%eth0", ["fe80::1"]),  # (link-local: a machine's)
    ],
)
def test_hosts_addresses_stay_findings(text: str, values: list[str]) -> None:
    assert [value for kind, value in _found(text) if kind == "IP_ADDRESS"] == values


@pytest.mark.parametrize(
    "text",
    [
        # an EU VAT number after its name ("intra-community") and its country
        "N° TVA intracommunautaire : FR 40 732829320",
        # a population, a count of people, grouped in thousands (Russian, Polish, Portuguese)
        "Население Москвы: 13 104 177 человек",
        "Численность населения 13 104 177",
        "Ludność: 38 411 148",
        "cerca de 21 230 000 pessoas",
        # an order's, an invoice's number after its label in Arabic, Russian, Hebrew
        "رقم الطلب 4021983712",
        "رقم الفاتورة: 4021983712",
        "номер заказа 4021983712",
        "מספר הזמנה 4021983712",
        # a sorted list of ranges: each range, the first and the last too
        "Ranges: 1000-1999, 2000-2999, 3000-3999; reserved 4000-4095",
        "see 3000-3999; also 4000-4095",
    ],
)
def test_numbers_that_are_no_phone_numbers(text: str) -> None:
    assert [value for kind, value in _found(text) if kind == "PHONE_NUMBER"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("رقم الهاتف 4155552671", "4155552671"),  # (the phone's number)
        ("Телефон: 13 104 177", "13 104 177"),
        ("Tel 4000-4095", "4000-4095"),
        ("reserved 4000-4095", "4000-4095"),  # (one range alone: a phone number's shape)
        ("see 3000-3999; also 3900-4095", "3900-4095"),  # (overlapping: no sorted list)
        ("see 5000-3999; also 4000-4095", "4000-4095"),
    ],
)
def test_phone_numbers_near_them_stay_findings(text: str, value: str) -> None:
    assert ("PHONE_NUMBER", value) in _found(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a card wrapped at a line's end: one of its gaps a line break
        ("my card is 4111 1111\n1111 1111 exp 12/27", "4111 1111\n1111 1111"),
        ("card 4111 1111 1111\n1111", "4111 1111 1111\n1111"),
        ("card 4111\r\n1111 1111 1111 ok", "4111\r\n1111 1111 1111"),
        ("pay with 5500-0000-\n0000-0004 today", "5500-0000-\n0000-0004"),
        # a card followed by one group of 4 (an expiry): a card
        ("4111 1111 1111 1111 1227", "4111 1111 1111 1111"),
        # a list of cards, four groups by four: each a card
        ("cards: 4111 1111 1111 1111 5500 0000 0000 0004", "4111 1111 1111 1111"),
        ("cards: 4111 1111 1111 1111 5500 0000 0000 0004", "5500 0000 0000 0004"),
    ],
)
def test_cards_are_found(text: str, value: str) -> None:
    assert ("CREDIT_CARD", value) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        # a card's digits inside a longer number of groups of 4 (a Brazilian NF-e's access key: 44 digits)
        "chave de acesso 3526 1211 2223 3300 0181 5500 1000 1234 5610 0012 3456",
        "ref 4111 1111 1111 1111 1227 1234",
        "ref 1234 5678 4111 1111 1111 1111",
        # (a grid of groups of four over lines: no card across its rows, nor on one of them)
        "1111 2222 3333\n4111 1111 1111 1111 5555",
        # no card across a blank line, a quote mark or more than one line break
        "4111 1111\n\n1111 1111",
        "> 4111 1111\n> 1111 1111",
        "4111\n1111\n1111\n1111",
        # (a Luhn failure)
        "4111 1111\n1111 1112",
    ],
)
def test_no_card_in_them(text: str) -> None:
    assert [value for kind, value in _found(text) if kind == "CREDIT_CARD"] == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # a number split by HTML's inline tags: read as shown
        ("Card: <b>4111</b> 1111 1111 1111", [("CREDIT_CARD", "4111</b> 1111 1111 1111")]),
        (
            'card 4111 <span class="x">1111 1111</span> 1111',
            [("CREDIT_CARD", '4111 <span class="x">1111 1111</span> 1111')],
        ),
        ("phone <b>415</b>-555-2671", [("PHONE_NUMBER", "415</b>-555-2671")]),
        ("IP 10.<b>0</b>.0.5", [("IP_ADDRESS", "10.<b>0</b>.0.5")]),
        # (tags between two digits glue them, as a browser shows them: 41111111 1111 1111 is no card's shape)
        ("Card: <b>4111</b><i>1111</i> 1111 1111", []),
        # (a block's tags stay: two cells)
        ("<td>4111 1111</td><td>1111 1111</td>", [("PHONE_NUMBER", "4111 1111")]),
    ],
)
def test_a_number_split_by_inline_tags(text: str, found: list[tuple[str, str]]) -> None:
    assert _found(text) == found


@pytest.mark.parametrize(
    "unit",
    [
        "10.0.0.0 0.0.0.0 ",
        "10.0.0.0 netmask 255.0.0.0 ",
        "broadcast 10.0.0.255 ",
        "ff02::1 ",
        "1000-1999, ",
        "1000-1999; reserved ",
        "4111 1111\n",
        "4111\n",
        "1\n1 ",
        "4111 ",
        "1</b> ",
        "1<b>",
        "1 <span a=b><i>",
    ],
)
def test_new_rules_are_linear_on_hostile_units(unit: str) -> None:
    check_linear_on_hostile_unit(unit)


def test_a_mask_is_read_as_ipaddress_reads_it() -> None:
    """_masked_network reads masks as integers (ipaddress's ValueError per refused mask doubled the IPv4 detector's
    time on 100 KB of quads a blank apart); on random and edge quads it agrees with ``ipaddress.IPv4Network``."""
    import ipaddress
    import random

    from gatekit.governance.detectors.ip import _masked_network

    rng = random.Random(21)
    masks = [str(ipaddress.IPv4Network(f"0.0.0.0/{n}").netmask) for n in range(33)]
    masks += [str(ipaddress.IPv4Network(f"0.0.0.0/{n}").hostmask) for n in range(33)]
    masks += ["255.0.255.0", "0.255.0.0", "256.0.0.0", "1.2.3.4"]
    quads = ["10.0.0.0", "10.20.0.0", "192.168.1.0", "192.168.1.7", "172.16.0.0", "10.1.0.128", "1.2.3.4"]
    quads += [".".join(str(rng.choice([0, 0, 0, 255, rng.randrange(256)])) for _ in range(4)) for _ in range(300)]
    for quad in quads:
        for mask in rng.sample(masks, 20):
            text = f"{quad} {mask}"
            try:
                expected = ipaddress.IPv4Network(f"{quad}/{mask}").num_addresses > 1
            except ValueError:
                expected = False
            if quad == "0.0.0.0":
                continue  # (the unspecified address, never a finding; ipaddress reads 255.255.255.255 as /32 there)
            assert _masked_network(text, 0, len(quad)) is expected, text
