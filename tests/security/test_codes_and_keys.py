"""Setup codes and long-term identities."""

from __future__ import annotations

import pytest

from irlink.security import (
    Identity,
    InvalidSetupCode,
    SessionKeys,
    derive_setup_code,
    parse_setup_code,
)
from irlink.security.codes import TRIVIAL_CODES, SetupCode
from irlink.security.keys import verify_signature


@pytest.mark.parametrize("text", ["123-45-679", "12345679", " 123-45-679 ", "12345-679"])
def test_a_code_is_read_with_or_without_dashes_and_written_as_on_the_label(text: str) -> None:
    code = parse_setup_code(text)
    assert str(code) == "123-45-679"
    assert code.password == b"12345679"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1234567",
        "123456789",
        "123-45-67a",
        "\uff11\uff12\uff13-\uff14\uff15-\uff16\uff17\uff19",
        "abc",
    ],
)
def test_a_code_that_is_not_8_digits_is_refused_with_the_form_to_type(text: str) -> None:
    with pytest.raises(
        InvalidSetupCode, match="the 8 digits on the device's label, like 123-45-678"
    ):
        parse_setup_code(text)


@pytest.mark.parametrize("digits", sorted(TRIVIAL_CODES))
def test_a_trivial_code_is_refused_naming_the_fix(digits: str) -> None:
    with pytest.raises(InvalidSetupCode, match="too easy to guess") as refused:
        parse_setup_code(digits)
    assert "Check the code on the device's label" in str(refused.value)


def test_the_trivial_codes_are_homekits_twelve() -> None:
    assert len(TRIVIAL_CODES) == 12
    assert {"00000000", "99999999", "12345678", "87654321"} <= TRIVIAL_CODES


def test_a_setup_code_checks_itself_when_built_directly() -> None:
    with pytest.raises(InvalidSetupCode):
        SetupCode("1234567")
    with pytest.raises(InvalidSetupCode):
        SetupCode("12345678")


def test_a_simulators_code_follows_from_its_serial_and_differs_between_serials() -> None:
    assert derive_setup_code("0042") == derive_setup_code("0042")
    codes = {derive_setup_code(f"{n:04d}") for n in range(200)}
    assert len(codes) == 200  # 10**8 values: no two of 200 serials should meet
    assert all(code.digits not in TRIVIAL_CODES for code in codes)


def test_an_identity_round_trips_through_its_stored_form_and_signs() -> None:
    identity = Identity.create()
    stored = identity.to_dict()
    assert set(stored) == {"id", "private_key"}
    again = Identity.from_dict(stored)
    assert (again.id, again.public_key) == (identity.id, identity.public_key)
    assert len(identity.id) == 16
    assert len(identity.public_key) == 32
    signature = again.sign(b"message")
    assert verify_signature(identity.public_key, signature, b"message")
    assert not verify_signature(identity.public_key, signature, b"messagf")
    assert not verify_signature(bytes(31), signature, b"message")  # not a key at all


def test_an_identity_takes_its_randomness_from_the_source_given() -> None:
    chunks = iter([bytes(range(16)), bytes(range(100, 132))])
    identity = Identity.create(lambda n: next(chunks))
    assert identity.id == bytes(range(16))
    assert identity.seed == bytes(range(100, 132))


def test_an_identitys_repr_shows_no_secret() -> None:
    identity = Identity.create()
    assert identity.seed.hex() not in repr(identity)
    assert identity.public_key.hex() in repr(identity)


def test_a_simulated_devices_identity_survives_a_restart_and_changes_at_a_reset() -> None:
    first = Identity.derive("0042")
    assert Identity.derive("0042").public_key == first.public_key
    assert Identity.derive("0042").id == first.id
    reset = Identity.derive("0042", generation=1)
    assert reset.public_key != first.public_key
    assert reset.id != first.id
    assert Identity.derive("0043").public_key != first.public_key


def test_an_id_must_be_16_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Identity.from_seed(b"short", bytes(32))


def test_the_reprs_of_a_setup_code_and_of_session_keys_keep_the_secrets() -> None:
    """A repr reaches logs and tracebacks: the code and the session keys never do."""
    code = parse_setup_code("482-19-736")
    keys = SessionKeys.derive(bytes(range(32)))
    shown = repr(code) + repr(keys) + repr((code, keys))
    for secret in ("48219736", "482-19-736", keys.write.hex(), keys.read.hex()):
        assert secret not in shown
    for key in (keys.write, keys.read):
        assert repr(key) not in shown
    assert str(code) == "482-19-736"  # where it is meant to be shown
