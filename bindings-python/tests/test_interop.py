"""Interop with PyJWT, both ways, including the \\u escapes PyJWT writes for non-ASCII."""

from __future__ import annotations

import base64
import json

import jwt
import pytest

import hfjwt
from conftest import KEY, b64

NAMES = ["Jo", "José Ñandú", "Zoë 😀 用户", 'quote " back\\slash\nnewline', "\u0001ctl"]


def payload_json(token: str) -> str:
    seg = token.split(".")[1]
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)).decode("utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_hfjwt_tokens_decode_with_pyjwt(name: str, now: int) -> None:
    token = hfjwt.mint(KEY, email="jo@acme.com", name=name, iat=now, jti="j-" + name)
    claims = jwt.decode(token, KEY, algorithms=["HS256"], options={"require": ["iat", "jti"]})
    assert claims == {"name": name, "email": "jo@acme.com", "iat": now, "jti": "j-" + name}
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}


@pytest.mark.parametrize("name", NAMES)
def test_pyjwt_tokens_verify_with_hfjwt(name: str, now: int) -> None:
    payload = {"name": name, "email": "jo@acme.com", "iat": now, "jti": "j-" + name}
    token = jwt.encode(payload, KEY, algorithm="HS256")
    if any(ord(c) > 127 for c in name):
        assert "\\u" in payload_json(token)  # PyJWT escapes; hfjwt must unescape
    assert hfjwt.Verifier(KEY).verify(token, now=now) == payload
    assert hfjwt.decode(token, KEY, algorithms=["HS256"]) == payload


def test_non_ascii_email_both_ways(now: int) -> None:
    email = "用户@例子.中国"
    theirs = jwt.encode({"email": email, "iat": now, "jti": "x"}, KEY)
    assert hfjwt.Verifier(KEY).verify(theirs, now=now)["email"] == email
    ours = hfjwt.mint(KEY, email=email, iat=now, jti="y")
    assert jwt.decode(ours, KEY, algorithms=["HS256"])["email"] == email


def test_encode_decode_are_drop_in_for_the_happyfox_subset(now: int) -> None:
    payload = {"name": "José", "email": "jo@acme.com", "iat": now, "jti": "abc"}
    ours = hfjwt.encode(payload, KEY, algorithm="HS256")
    assert jwt.decode(ours, KEY, algorithms=["HS256"]) == payload
    theirs = jwt.encode(payload, KEY, algorithm="HS256")
    assert hfjwt.decode(theirs, KEY, algorithms=["HS256"]) == payload
    # Same claims, different bytes: PyJWT escapes non-ASCII, hfjwt keeps UTF-8.
    assert json.loads(payload_json(ours)) == json.loads(payload_json(theirs))


def test_pyjwt_extra_claims_are_accepted_and_exp_is_checked(now: int) -> None:
    token = jwt.encode({"email": "a@b.co", "iat": now, "jti": "e", "exp": now + 60, "x": 1}, KEY)
    claims = hfjwt.Verifier(KEY).verify(token, now=now)
    assert claims == {"email": "a@b.co", "iat": now, "jti": "e", "exp": now + 60}
    with pytest.raises(hfjwt.ExpiredToken):
        hfjwt.Verifier(KEY).verify(token, now=now + 60)


def test_encode_fills_iat_and_jti_and_accepts_datetime(now: int) -> None:
    import datetime

    at = datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc)
    claims = jwt.decode(hfjwt.encode({"email": "a@b.co", "iat": at}, KEY), KEY, algorithms=["HS256"])
    assert claims["iat"] == now and len(claims["jti"]) == 36
    claims = jwt.decode(hfjwt.encode({"email": "a@b.co"}, KEY), KEY, algorithms=["HS256"])
    assert abs(claims["iat"] - now) <= 5


def test_pyjwt_lenient_encodings_are_refused(now: int) -> None:
    token = jwt.encode({"email": "a@b.co", "iat": now, "jti": "p"}, KEY)
    h, p, s = token.split(".")
    padded = f"{h}.{p}{'=' * (-len(p) % 4)}.{s}"
    if padded != token:
        assert jwt.decode(padded, KEY, algorithms=["HS256"])  # PyJWT accepts padding
        with pytest.raises(hfjwt.MalformedToken):
            hfjwt.decode(padded, KEY)
    dup = b'{"email":"a@b.co","iat":%d,"jti":"p","jti":"q"}' % now
    from conftest import craft

    with pytest.raises(hfjwt.InvalidClaim):
        hfjwt.decode(craft(dup), KEY)


def test_b64_helper_matches_pyjwt() -> None:
    assert b64(b"\xff\xfe") == jwt.utils.base64url_encode(b"\xff\xfe").decode()


def test_encode_takes_a_uuid_jti_as_pyjwt_users_send_it(now: int) -> None:
    import uuid

    jti = uuid.uuid4()
    ours = hfjwt.encode({"email": "a@b.co", "iat": now, "jti": jti}, KEY)
    assert jwt.decode(ours, KEY, algorithms=["HS256"])["jti"] == str(jti)
    assert hfjwt.decode(ours, KEY)["jti"] == str(jti)


@pytest.mark.parametrize(
    "extra",
    [{"role": "admin", "department": "it"}, {"exp": 1, "sub": "x"}],
)
def test_encode_refuses_claims_it_cannot_sign_and_names_them(extra: dict[str, object], now: int) -> None:
    # Never dropped: a token without the exp its sender set would be a check nobody makes.
    with pytest.raises(ValueError) as raised:
        hfjwt.encode({"email": "a@b.co", "iat": now, "jti": "x"} | extra, KEY)
    refused = sorted(set(extra) - {"exp", "nbf"})
    assert str(refused) in str(raised.value)
    assert "never drops a claim" in str(raised.value)


def test_pyjwt_tokens_with_exp_nbf_and_extra_claims_verify(now: int) -> None:
    import datetime
    import uuid

    at = datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc)
    jti = str(uuid.uuid4())
    payload = {"email": "a@b.co", "iat": at, "jti": jti, "nbf": at,
               "exp": at + datetime.timedelta(seconds=60), "role": "admin"}
    theirs = jwt.encode(payload, KEY, algorithm="HS256")
    # Extra claims are signed, verified, and not returned; exp and nbf are checked and returned.
    assert hfjwt.decode(theirs, KEY) == {"email": "a@b.co", "iat": now, "jti": jti,
                                         "nbf": now, "exp": now + 60}
    with pytest.raises(hfjwt.ExpiredToken):
        hfjwt.Verifier(KEY).verify(theirs, now=now + 60)


def test_encode_signs_exp_and_nbf_as_pyjwt_does(now: int) -> None:
    import datetime

    at = datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc)
    payload = {"email": "a@b.co", "iat": at, "jti": "x-exp", "nbf": at,
               "exp": at + datetime.timedelta(seconds=60)}
    ours = hfjwt.encode(payload, KEY)
    theirs = jwt.decode(ours, KEY, algorithms=["HS256"])
    assert (theirs["exp"], theirs["nbf"]) == (now + 60, now)
    # PyJWT itself refuses it once it expired; so does hfjwt.
    with pytest.raises(jwt.ExpiredSignatureError):
        late = hfjwt.encode({"email": "a@b.co", "iat": now - 100, "jti": "x-late", "exp": now - 1}, KEY)
        jwt.decode(late, KEY, algorithms=["HS256"])
    with pytest.raises(hfjwt.ExpiredToken):
        hfjwt.Verifier(KEY).verify(ours, now=now + 60)
    with pytest.raises(hfjwt.TokenError):
        hfjwt.Verifier(KEY).verify(hfjwt.encode({"email": "a@b.co", "iat": now, "jti": "x-nbf",
                                                  "nbf": now + 30}, KEY), now=now)
