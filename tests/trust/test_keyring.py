"""The keyring: wrapping under the newest master, unwrapping under any, clear failures."""

from __future__ import annotations

import base64

import pytest

from tests.trust.conftest import MASTER, OLD_MASTER
from trust.errors import KeyUnavailable, TrustError
from trust.keyring import Keyring

SECRET = b"\x01 a private key's bytes \xff" * 3


def test_wrap_then_unwrap_gives_the_secret_back() -> None:
    keyring = Keyring(MASTER)
    assert keyring.unwrap(keyring.wrap(SECRET)) == SECRET


def test_wrapped_text_holds_neither_the_secret_nor_the_master() -> None:
    wrapped = Keyring(MASTER).wrap(SECRET)
    for leak in (SECRET, base64.b64encode(SECRET), base64.urlsafe_b64encode(SECRET), MASTER):
        assert leak.decode("latin-1") not in wrapped
    assert SECRET.hex() not in wrapped


def test_wrong_master_raises_key_unavailable_naming_the_setting() -> None:
    wrapped = Keyring(OLD_MASTER).wrap(SECRET)
    with pytest.raises(KeyUnavailable, match="CHIPIN_OLD_SECRET_KEYS") as info:
        Keyring(MASTER).unwrap(wrapped)
    assert isinstance(info.value, TrustError)
    message = str(info.value)
    assert MASTER.decode() not in message
    assert OLD_MASTER.decode() not in message
    assert wrapped not in message


def test_garbage_is_key_unavailable_not_a_crash() -> None:
    with pytest.raises(KeyUnavailable):
        Keyring(MASTER).unwrap("not a token é")


def test_an_old_master_still_unwraps() -> None:
    wrapped = Keyring(OLD_MASTER).wrap(SECRET)
    assert Keyring(MASTER, [OLD_MASTER]).unwrap(wrapped) == SECRET


def test_rewrap_moves_a_secret_to_the_new_master() -> None:
    wrapped = Keyring(OLD_MASTER).wrap(SECRET)
    rewrapped = Keyring(MASTER, [OLD_MASTER]).rewrap(wrapped)
    assert Keyring(MASTER).unwrap(rewrapped) == SECRET
    with pytest.raises(KeyUnavailable):
        Keyring(OLD_MASTER).unwrap(rewrapped)


def test_rewrap_with_no_fitting_master_raises_key_unavailable() -> None:
    with pytest.raises(KeyUnavailable):
        Keyring(MASTER).rewrap(Keyring(OLD_MASTER).wrap(SECRET))


def test_an_empty_master_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Keyring(b"")


def test_repr_shows_no_key_material() -> None:
    assert MASTER.decode() not in repr(Keyring(MASTER))
