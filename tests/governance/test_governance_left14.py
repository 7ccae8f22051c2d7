"""What red-team round 14 left (docs/governance-notes.md, round 14), each case failing on main (d824f75).

* a table's column named for a credential after more than VALIDATION_BUDGET candidate header words ("monkey,",
  "turkey,", "bypass," cells): main stopped reading header words there and missed a ``password`` column below them;
  now the rest of the text's header cells are found by one forward regex of names (no miss, linear);
* Oracle's unquoted (or double-quoted) ``IDENTIFIED BY Tiger2026x``, as an assignment's value (a digit, entropy), not
  a bind variable, ``VALUES '...'`` nor a word;
* a bare E.164 number of 13 or 14 digits under a phone field's name (round 14 read 12), valid with a "+" in front.
"""

from __future__ import annotations

import pytest
from conftest import check_linear_on_hostile_unit

from gatekit.governance.detectors import scan
from gatekit.governance.detectors.base import VALIDATION_BUDGET


def _found(text: str, value: str, kind: str | None = None) -> bool:
    start = text.index(value)
    end = start + len(value)
    return any(f.start <= start and f.end >= end and (f.type == kind if kind else f.is_secret) for f in scan(text))


# --- a credential column after many candidate header words ----------------------------------------------------------

_DECOYS = ["monkey", "turkey", "bypass", "hockey", "jockey", "overpass", "whiskey", "donkey"]


def _decoy_rows(count: int) -> str:
    """``count`` CSV rows whose cells end in a credential name's piece ("key", "pass"), none of them a name."""
    return "".join(f"{_DECOYS[i % len(_DECOYS)]},{_DECOYS[(i + 3) % len(_DECOYS)]},{i}\n" for i in range(count))


@pytest.mark.parametrize("decoys", [VALIDATION_BUDGET + 1, 1000, 5000])
def test_a_password_column_after_many_decoy_words_is_found(decoys: int) -> None:
    text = _decoy_rows(decoys // 2) + "\nuser,password,role\nalice,Xk7pQ2mZ9w,admin\nbob,R4nd0m-Pa55x,viewer\n"
    assert _found(text, "Xk7pQ2mZ9w")
    assert _found(text, "R4nd0m-Pa55x")


@pytest.mark.parametrize(
    ("header", "row", "value"),
    [
        ("id\tAPI Key\tnote", "7\tq8Zr2LmV0pXw4T\tprod", "q8Zr2LmV0pXw4T"),  # (TSV, a name with a blank)
        ("| user | db_password |", "| carol | Pq9-vW2x!Lm7 |", "Pq9-vW2x!Lm7"),  # (markdown)
        ("user;Passwort;rolle", "dora;Kx82mPq0Zt;admin", "Kx82mPq0Zt"),  # (semicolon CSV, German)
    ],
)
def test_credential_columns_of_every_delimiter_after_the_budget(header: str, row: str, value: str) -> None:
    text = _decoy_rows(600) + f"\n{header}\n{row}\n"
    assert _found(text, value)


def test_a_tsv_credential_column_before_another_column_is_found() -> None:
    # (found on the way: a header word's blanks took the tab after it, so a TSV column that was not the last was missed)
    text = "id\tpassword\tnote\n1\tXk7pQ2mZ9w\tfirst\n2\tVb3nM8qR1z\tsecond\n"
    assert _found(text, "Xk7pQ2mZ9w")
    assert _found(text, "Vb3nM8qR1z")
    assert [f for f in scan("id\tmonkey\tnote\n1\tXk7pQ2mZ9w\tfirst\n") if f.is_secret] == []


def test_past_the_header_cells_read_the_rest_is_fail_closed() -> None:
    # (a hostile text of header cells named for a credential, none with rows below: past the cells read, every later
    # cell of 8..200 characters holding a digit is a finding on its shape alone; a credential below is never missed)
    text = "password,a\n\n" * 600 + "user,password\nann,Xk7pQ2mZ9w\n"
    assert _found(text, "Xk7pQ2mZ9w")
    assert _found("password,a\n\n" * 600 + "user,token\nann,Zq8mKp2vXw\n", "Zq8mKp2vXw")


def test_decoy_columns_and_other_names_after_the_budget_stay_clean() -> None:
    # (cells ending in "key" / "pass" / "token" pieces but no credential's name; a page token's column is no credential)
    text = _decoy_rows(800) + "\nid,next_page_token,monkey\n1,CiAKGjBpNDd2Nmp2Zml2cXRt,x\n2,aB3dE5fG7hJ9kL1m,y\n"
    assert [f for f in scan(text) if f.is_secret] == []
    # (a password column's weak cells, words without a digit, are no credentials past the budget either)
    assert [f for f in scan(_decoy_rows(800) + "\nuser,password\nann,hunter\n") if f.is_secret] == []


@pytest.mark.parametrize(
    "unit", ["monkey,\n", "monkey,", "|" + "monkey," * 600 + "|\n", "key\tkey\tkey\t\n", "password,\n"]
)
def test_column_reading_stays_linear_on_100_kb_of_decoys(unit: str) -> None:
    check_linear_on_hostile_unit(unit)


# --- Oracle's unquoted password -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("CREATE USER scott IDENTIFIED BY Tiger2026x;", "Tiger2026x"),
        ("ALTER USER app_rw IDENTIFIED BY Zq8mKp2vXw ACCOUNT UNLOCK;", "Zq8mKp2vXw"),
        ('CREATE USER "Hr_App" IDENTIFIED BY "N0rth-Wind88" DEFAULT TABLESPACE users;', "N0rth-Wind88"),
        ("CREATE DATABASE LINK fin CONNECT TO fin_ro IDENTIFIED BY Fx7Rq2Lm9 USING 'FINPROD';", "Fx7Rq2Lm9"),
        ("SQL> ALTER USER system IDENTIFIED BY Oracle_19c_pwd CONTAINER=ALL;", "Oracle_19c_pwd"),
    ],
)
def test_oracle_unquoted_password_is_found(text: str, value: str) -> None:
    assert _found(text, value)


@pytest.mark.parametrize(
    "text",
    [
        "CREATE USER scott IDENTIFIED BY :new_password;",  # (bind variables)
        "ALTER USER scott IDENTIFIED BY ?;",
        "CREATE USER scott IDENTIFIED BY @password1;",
        "CREATE USER scott IDENTIFIED BY &&user_password1;",  # (a SQL*Plus substitution variable)
        "CREATE USER scott IDENTIFIED BY VALUES 'S:8F2D65FB5547B71C8DA3760F10F6E7BF2D4B8C2A06B4'",  # (a hash)
        "CREATE USER ops$scott IDENTIFIED EXTERNALLY;",
        "CREATE USER scott IDENTIFIED GLOBALLY AS 'CN=scott,O=example';",
        "CREATE USER scott IDENTIFIED BY tigertiger;",  # (a word: no digit)
        "CREATE USER scott IDENTIFIED BY ${ORACLE_PASSWORD_2};",  # (a reference)
        "The sample was IDENTIFIED BY LAB2024X as contaminated.",  # (prose: no user's name before it)
        "GRANT CONNECT TO scott IDENTIFIED BY;",
    ],
)
def test_oracle_identified_by_non_credentials_stay_clean(text: str) -> None:
    assert [f for f in scan(text) if f.is_secret] == [], text


# --- bare E.164 numbers of 13 to 15 digits under a phone field ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"wa_id": "8613812345678", "type": "text"}', "8613812345678"),  # (China mobile: 13 digits)
        ('{"msisdn": "49301234567890"}', "49301234567890"),  # (a Berlin number of 14 digits)
        ("msisdn=5511987654321&op=vivo", "5511987654321"),  # (Brazil mobile: 13 digits)
    ],
)
def test_bare_e164_of_13_to_15_digits_in_a_phone_field(text: str, value: str) -> None:
    assert _found(text, value, "PHONE_NUMBER")


@pytest.mark.parametrize(
    "text",
    [
        '{"order_id": "8613812345678"}',  # (an id of 13 digits under another name stays an id)
        '{"trace_id": "49301234567890"}',
        '{"msisdn": "1234567890123"}',  # (not valid with a "+": no country code 1 number of 13 digits)
        '{"msisdn": "8613812345678901"}',  # (16 digits: no E.164 number)
        '{"timestamp_ms": "1733526000123"}',
        "tel 0301234567890 12",  # (a first group of 13 digits and another: no candidate, as before the longer group)
        "ref 1234567890123 45 x",
    ],
)
def test_long_ids_under_other_names_stay_ids(text: str) -> None:
    assert [f for f in scan(text) if f.type == "PHONE_NUMBER"] == [], text


def test_a_credential_column_is_read_to_the_end_of_a_long_export() -> None:
    # (main read 1,000 rows below a header: a password in a longer export's later rows was missed)
    rows = "".join(f"user{i},plainvalue,{i}\n" for i in range(3000))
    text = "username,password,id\n" + rows + "late_user,Tr0ub4dor&3xQ,3001\n"
    assert [f.value for f in scan(text) if f.is_secret] == ["Tr0ub4dor&3xQ"]


def test_past_the_budget_a_credential_column_keeps_its_cells_with_a_digit() -> None:
    # (past VALIDATION_BUDGET validated cells the rows are read in C, a cell with a digit a finding on its shape)
    rows = "".join(f"user{i},abcdefgh\n" for i in range(VALIDATION_BUDGET + 50))
    text = "username,password\n" + rows + "late,zz9zz9zz\n" + "also,abcdefgh\n"
    assert [f.value for f in scan(text) if f.is_secret] == ["zz9zz9zz"]


def test_amounts_followed_by_decimals_are_no_phones_up_to_the_budget_and_a_hostile_run_is_fail_closed() -> None:
    # ("1 234 567,89" is a French amount, no phone number; 100 KB of them took 10.8 ms: past 8 budgets of such
    # candidates the rest of the text's digit runs are findings on their shape, more redaction, never a miss)
    amounts = "".join(f"{i} 234 567,89\n" for i in range(1, 1000))
    assert [f for f in scan(amounts) if f.type == "PHONE_NUMBER"] == []
    hostile = "+1 646 555 0142,6" * 6000 + " call +1 646 555 0199 now"
    assert "646 555 0199" in scan(hostile)[-1].value
