"""Audience binding (``aud``, RFC 7519 section 4.1.3): hfjwt's Verifier and mint, and decode
behaving as PyJWT's, checked against PyJWT itself both ways."""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

import jwt
import pytest

import hfjwt
from conftest import KEY, NOW, craft, grant


def test_a_code_for_kiosk_a_is_refused_at_kiosk_b_and_not_consumed() -> None:
    token = hfjwt.mint(KEY, email="jo@acme.com", iat=NOW, jti="code-1", aud="kiosk-a")
    a = hfjwt.Verifier(KEY, audience="kiosk-a")
    b = hfjwt.Verifier(KEY, audience="kiosk-b")
    assert a.audience == "kiosk-a" and b.audience == "kiosk-b"
    with pytest.raises(hfjwt.WrongAudience) as info:
        b.verify(token, now=NOW)
    assert info.value.kind == "wrong_audience"
    assert b.remembered == 0  # refused before the replay step: nothing recorded
    assert a.verify(token, now=NOW + 1)["aud"] == "kiosk-a"
    with pytest.raises(hfjwt.ReplayedToken):
        a.verify(token, now=NOW + 2)


def test_without_an_audience_aud_is_refused_unless_ignored() -> None:
    token = craft(grant() | {"aud": "someone"})
    with pytest.raises(hfjwt.WrongAudience):
        hfjwt.Verifier(KEY).verify(token, now=NOW)
    v = hfjwt.Verifier(KEY, ignore_audience=True)
    assert v.verify(token, now=NOW)["aud"] == "someone"
    with pytest.raises(ValueError):
        hfjwt.Verifier(KEY, audience="a", ignore_audience=True)
    for bad in ("", "x" * 129):
        with pytest.raises(ValueError):
            hfjwt.Verifier(KEY, audience=bad)
    with pytest.raises(TypeError):
        hfjwt.Verifier(KEY, audience=["a"])  # type: ignore[arg-type]


def test_arrays_are_returned_as_lists() -> None:
    token = craft(grant() | {"aud": ["kiosk-b", "kiosk-\u00e9"]})
    claims = hfjwt.Verifier(KEY, audience="kiosk-\u00e9").verify(token, now=NOW)
    assert claims["aud"] == ["kiosk-b", "kiosk-\u00e9"]


def test_mint_and_encode_take_one_audience() -> None:
    t = hfjwt.encode(grant() | {"aud": "kiosk-a"}, KEY)
    assert hfjwt.Verifier(KEY, audience="kiosk-a").verify(t, now=NOW)["aud"] == "kiosk-a"
    with pytest.raises(ValueError):
        hfjwt.encode(grant() | {"aud": ["a", "b"]}, KEY)


# -- decode behaves as PyJWT's decode: same outcome for the same token and arguments ---------

# (aud claim or absent, audience=, options) for every branch of PyJWT's _validate_aud.
ABSENT = object()
CASES: list[tuple[Any, Any, Optional[dict[str, Any]]]] = [
    ("kiosk-a", "kiosk-a", None),
    ("kiosk-a", ["kiosk-b", "kiosk-a"], None),
    (["kiosk-b", "kiosk-a"], "kiosk-a", None),
    (["kiosk-b", "kiosk-a"], ["x", "kiosk-a"], None),
    ("kiosk-a", "kiosk-b", None),
    (["kiosk-b"], "kiosk-a", None),
    ("kiosk-a", "Kiosk-A", None),
    ("kiosk-a", None, None),
    (["kiosk-a"], None, None),
    (ABSENT, "kiosk-a", None),
    (ABSENT, None, None),
    ("", None, None),
    ([], None, None),
    ("", "kiosk-a", None),
    ("kiosk-a", None, {"verify_aud": False}),
    ("kiosk-a", "kiosk-b", {"verify_aud": False}),
    (ABSENT, "kiosk-a", {"verify_aud": False}),
    ("kiosk-a", "kiosk-a", {"require": ["aud"]}),
    (ABSENT, "kiosk-a", {"require": ["aud"]}),
    ("kiosk-a", "kiosk-a", {"verify_aud": True, "strict_aud": False}),
    (7, "kiosk-a", None),
    (["kiosk-a", 1], "kiosk-a", None),
]

# PyJWT's exception for each hfjwt kind (its aliases in hfjwt say the same).
PYJWT_FOR_KIND = {
    "wrong_audience": jwt.InvalidAudienceError,
    "missing_claim": jwt.MissingRequiredClaimError,
    "invalid_claim": jwt.InvalidAudienceError,  # PyJWT: "Invalid claim format in token"
}


def outcome(call: Callable[[], dict[str, Any]]) -> Union[dict[str, Any], type[Exception]]:
    try:
        return call()
    except Exception as e:  # noqa: BLE001 - the type is the result
        return type(e)


@pytest.mark.parametrize(("aud", "audience", "options"), CASES)
def test_decode_matches_pyjwt(aud: Any, audience: Any, options: Optional[dict[str, Any]], now: int) -> None:
    payload = grant(iat=now, jti="dec")
    if aud is not ABSENT:
        payload["aud"] = aud
    token = jwt.encode(payload, KEY, algorithm="HS256")
    theirs = outcome(lambda: jwt.decode(token, KEY, algorithms=["HS256"], audience=audience, options=options))  # type: ignore[arg-type]
    ours = outcome(lambda: hfjwt.decode(token, KEY, algorithms=["HS256"], audience=audience, options=options))
    if isinstance(theirs, dict):
        if theirs.get("aud") in ("", []):
            del theirs["aud"]  # both treat an empty aud as none; hfjwt does not return it
        assert ours == theirs
        return
    assert isinstance(ours, type) and issubclass(ours, hfjwt.TokenError), ours
    assert PYJWT_FOR_KIND[ours.kind] is theirs or issubclass(theirs, PYJWT_FOR_KIND[ours.kind]), (
        ours,
        theirs,
    )


def test_pyjwt_audience_aliases() -> None:
    assert hfjwt.InvalidAudienceError is hfjwt.WrongAudience
    assert hfjwt.MissingRequiredClaimError is hfjwt.MissingClaim


@pytest.mark.parametrize(
    "kwargs",
    [
        {"options": {"strict_aud": True}},
        {"options": {"verify_aud": "yes"}},
        {"options": {"verify_sub": True}},
        {"options": {"require": ["aud"]}},
        {"options": {"require": ["aud"]}, "audience": "a", "options_verify_aud": False},
        {"issuer": "https://portal"},
        {"subject": "jo"},
        {"audience": []},
        {"audience": 7},
    ],
)
def test_unsupported_decode_arguments_are_refused(kwargs: dict[str, Any], now: int) -> None:
    token = hfjwt.mint(KEY, email="jo@acme.com", iat=now)
    if kwargs.pop("options_verify_aud", True) is False:
        kwargs["options"] = dict(kwargs["options"], verify_aud=False)
    with pytest.raises((ValueError, TypeError)) as info:
        hfjwt.decode(token, KEY, algorithms=["HS256"], **kwargs)
    assert not isinstance(info.value, hfjwt.TokenError), info.value


@pytest.mark.parametrize("aud", ["kiosk-a", ["kiosk-b", "kiosk-a"]])
def test_pyjwt_minted_audiences_verify_with_hfjwt(aud: Union[str, list[str]], now: int) -> None:
    token = jwt.encode(grant(iat=now, jti="py") | {"aud": aud}, KEY, algorithm="HS256")
    assert hfjwt.Verifier(KEY, audience="kiosk-a").verify(token, now=now)["aud"] == aud
    with pytest.raises(hfjwt.WrongAudience):
        hfjwt.Verifier(KEY, audience="kiosk-c").verify(token, now=now)
    with pytest.raises(hfjwt.WrongAudience):
        hfjwt.Verifier(KEY).verify(token, now=now)


def test_hfjwt_minted_audiences_verify_with_pyjwt(now: int) -> None:
    token = hfjwt.mint(KEY, email="jo@acme.com", iat=now, jti="hf", aud="kiosk-a")
    claims = jwt.decode(token, KEY, algorithms=["HS256"], audience="kiosk-a")
    assert claims["aud"] == "kiosk-a"
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, KEY, algorithms=["HS256"], audience="kiosk-b")
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, KEY, algorithms=["HS256"])
