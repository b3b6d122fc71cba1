"""Every error kind surfaces as its own class, with the core's kind, from a token built here."""

from __future__ import annotations

from typing import Callable

import jwt
import pytest

import hfjwt
from conftest import KEY, NOW, OTHER_KEY, b64, craft, grant

CLASSES = {
    "too_large": hfjwt.TokenTooLarge,
    "malformed": hfjwt.MalformedToken,
    "unsupported_algorithm": hfjwt.UnsupportedAlgorithm,
    "bad_signature": hfjwt.BadSignature,
    "missing_claim": hfjwt.MissingClaim,
    "invalid_claim": hfjwt.InvalidClaim,
    "expired": hfjwt.ExpiredToken,
    "issued_in_future": hfjwt.IssuedInFuture,
    "replayed": hfjwt.ReplayedToken,
    "replay_cache_full": hfjwt.ReplayCacheFull,
    "domain_not_allowed": hfjwt.DomainNotAllowed,
    "weak_key": hfjwt.WeakKey,
    "buffer_too_small": hfjwt.BufferTooSmall,
    "wrong_audience": hfjwt.WrongAudience,
    "replay_store_unavailable": hfjwt.ReplayStoreUnavailable,
}


def test_one_class_per_kind() -> None:
    assert hfjwt.ERRORS == CLASSES
    for kind, cls in CLASSES.items():
        assert cls.kind == kind
        assert issubclass(cls, hfjwt.TokenError) and issubclass(cls, ValueError)
        assert cls.__module__ == "hfjwt" and cls.__doc__


def rejects(kind: str, call: Callable[[], object]) -> hfjwt.TokenError:
    with pytest.raises(hfjwt.TokenError) as info:
        call()
    err = info.value
    assert type(err) is CLASSES[kind], f"{type(err).__name__}: {err}"
    assert err.kind == kind
    assert str(err)  # the core's message: summary and detail
    return err


def verify(token: str, now: int = NOW, **kw: object) -> Callable[[], object]:
    return lambda: hfjwt.Verifier(KEY, **kw).verify(token, now=now)  # type: ignore[arg-type]


def tampered_signature(token: str) -> str:
    head, sig = token.rsplit(".", 1)
    mid = len(sig) // 2
    flipped = "A" if sig[mid] != "A" else "B"
    return f"{head}.{sig[:mid]}{flipped}{sig[mid + 1:]}"


GOOD = craft(grant())
CASES = {
    "too_large": [verify("a" * 5000), verify(GOOD, max_token_len=100)],
    "malformed": [
        verify("not-a-token"),
        verify("a.b"),
        verify(GOOD + ".x"),
        verify(GOOD[:-1] + "="),
        verify(craft(b"not json")),
        verify(craft(grant(), header={"alg": "HS256", "crit": ["b64"]})),
        verify("\ud800.\udfff.x"),  # lone surrogates reach the core as U+FFFD
    ],
    "unsupported_algorithm": [
        verify(craft(grant(), header={"alg": "HS512", "typ": "JWT"})),
        verify(craft(grant(), header={"alg": "none"})),
        # PyJWT's alg "none" token, with its empty signature.
        verify(jwt.encode(grant(), None, algorithm="none")),
        verify(craft(grant(), header={"alg": "hs256"})),
        verify(craft(grant(), header={"typ": "JWT"})),
        lambda: hfjwt.decode(GOOD, KEY, algorithms=["HS512"]),
        lambda: hfjwt.encode(grant(), KEY, algorithm="HS512"),
    ],
    "bad_signature": [
        verify(tampered_signature(GOOD)),
        verify(craft(grant(), key=OTHER_KEY)),
        verify(GOOD.split(".")[0] + "." + b64(b'{"email":"x@acme.com"}') + "." + GOOD.split(".")[2]),
    ],
    "missing_claim": [
        verify(craft(grant()), audience="kiosk-a"),
        verify(craft(grant() | {"aud": []}), audience="kiosk-a"),
        lambda: hfjwt._hfjwt.decode_claims(GOOD, KEY, now=NOW, audience="kiosk-a"),
        verify(craft({"email": "jo@acme.com", "iat": NOW})),
        verify(craft({"email": "jo@acme.com", "jti": "j"})),
        verify(craft({"iat": NOW, "jti": "j"})),
        lambda: hfjwt.encode({"name": "Jo"}, KEY),
    ],
    "invalid_claim": [
        verify(craft(grant() | {"iat": str(NOW)})),
        verify(craft(grant() | {"iat": -1})),
        verify(craft(grant(email="not-an-email"))),
        verify(craft(grant(jti=""))),
        verify(craft(grant() | {"jti": 7})),
        verify(craft(b'{"email":"jo@acme.com","iat":%d,"jti":"a","jti":"b"}' % NOW)),
        lambda: hfjwt.mint(KEY, email="nobody"),
        lambda: hfjwt.mint(KEY, email="jo@acme.com", jti=""),
        lambda: hfjwt.mint(KEY, email="jo@acme.com", aud=""),
        verify(craft(grant() | {"aud": 7}), audience="kiosk-a"),
        verify(craft(grant() | {"aud": ["kiosk-a", None]}), audience="kiosk-a"),
        verify(craft(grant() | {"aud": None}), ignore_audience=True),
    ],
    "wrong_audience": [
        verify(craft(grant() | {"aud": "kiosk-b"}), audience="kiosk-a"),
        verify(craft(grant() | {"aud": ["kiosk-b", "kiosk-c"]}), audience="kiosk-a"),
        verify(craft(grant() | {"aud": "Kiosk-A"}), audience="kiosk-a"),
        verify(craft(grant() | {"aud": "kiosk-a"})),
        lambda: hfjwt._hfjwt.decode_claims(craft(grant() | {"aud": "kiosk-a"}), KEY, now=NOW),
        lambda: hfjwt._hfjwt.decode_claims(
            craft(grant() | {"aud": "b"}), KEY, now=NOW, audience=["a", "c"]
        ),
    ],
    "expired": [
        verify(craft(grant(iat=NOW - 121))),
        verify(craft(grant(iat=NOW - 31)), max_age=30),
        verify(craft(grant() | {"exp": NOW})),
    ],
    "issued_in_future": [
        verify(craft(grant(iat=NOW + 1))),
        verify(craft(grant(iat=NOW + 6)), leeway=5),
        verify(craft(grant() | {"nbf": NOW + 10})),
    ],
    "domain_not_allowed": [
        verify(craft(grant(email="eve@evil.com")), allowed_domains=["acme.com"]),
        verify(craft(grant(email="eve@eu.acme.com")), allowed_domains=["acme.com"]),
        verify(GOOD, allowed_domains=[]),
    ],
    "weak_key": [
        lambda: hfjwt.Verifier("short"),
        lambda: hfjwt.Verifier(b"\x00" * 31),
        lambda: hfjwt.mint("k" * 31, email="jo@acme.com"),
        lambda: hfjwt.sign_in_url("", account="acme", email="jo@acme.com"),
        lambda: hfjwt.decode(GOOD, "short"),
        lambda: hfjwt.encode(grant(), "short"),
    ],
    "buffer_too_small": [
        lambda: hfjwt.login_url("a" * 20_000, account="acme"),
        lambda: hfjwt.sign_in_url(KEY, account="acme", email="jo@acme.com", name="n" * 20_000),
    ],
}


@pytest.mark.parametrize(
    ("kind", "index"), [(k, i) for k, calls in CASES.items() for i in range(len(calls))]
)
def test_each_refusal_has_its_kind(kind: str, index: int) -> None:
    rejects(kind, CASES[kind][index])


def test_replayed_across_calls() -> None:
    v = hfjwt.Verifier(KEY)
    assert v.verify(GOOD, now=NOW)["jti"] == "jti-1"
    rejects("replayed", lambda: v.verify(GOOD, now=NOW + 1))
    # The same jti in a differently encoded token is the same grant.
    rejects("replayed", lambda: v.verify(craft(grant() | {"name": "x"}), now=NOW + 2))
    rejects("replayed", lambda: v.verify(GOOD.encode(), now=NOW + 120))


def test_replay_store_unavailable_when_nothing_listens() -> None:
    # Port 1 on loopback refuses at once; Redis tests against a real server: test_redis.py.
    v = hfjwt.Verifier(KEY, replay_store="redis://127.0.0.1:1/0")
    rejects("replay_store_unavailable", lambda: v.verify(GOOD, now=NOW))
    rejects("replay_store_unavailable", v.check_replay_store)
    # Refused, not recorded: the same token is refused the same way, never accepted.
    rejects("replay_store_unavailable", lambda: v.verify(GOOD, now=NOW))


def test_replay_cache_full_with_capacity_one() -> None:
    v = hfjwt.Verifier(KEY, replay_capacity=1)
    v.verify(craft(grant(jti="a")), now=NOW)
    rejects("replay_cache_full", lambda: v.verify(craft(grant(jti="b")), now=NOW + 1))
    # Once the first token can no longer pass, its entry is forgotten and there is room.
    assert v.verify(craft(grant(iat=NOW + 121, jti="b")), now=NOW + 121)["jti"] == "b"


def test_failed_tokens_are_not_recorded() -> None:
    v = hfjwt.Verifier(KEY, allowed_domains=["acme.com"])
    rejects("domain_not_allowed", lambda: v.verify(craft(grant(email="e@ev.il")), now=NOW))
    rejects("issued_in_future", lambda: v.verify(GOOD, now=NOW - 5))
    assert v.verify(GOOD, now=NOW)["jti"] == "jti-1"


def test_horizon_refuses_tokens_issued_before_remember_from() -> None:
    v = hfjwt.Verifier(KEY)
    v.remember_from(NOW)
    rejects("replayed", lambda: v.verify(craft(grant(iat=NOW - 1)), now=NOW))
    assert v.verify(craft(grant(iat=NOW, jti="fresh")), now=NOW + 1)["jti"] == "fresh"
    # Off by default: a fresh verifier accepts the older token.
    assert hfjwt.Verifier(KEY).verify(craft(grant(iat=NOW - 1)), now=NOW)


def test_bad_sites_and_paths_are_config_errors_not_token_errors() -> None:
    # Configuration, not a token: ConfigError (a ValueError), kind invalid_config.
    calls = [
        *(lambda kw=kw: hfjwt.login_url("t", **kw)  # type: ignore[arg-type]
          for kw in ({"account": "a.b"}, {"domain": "evil.com/x"}, {"origin": "ftp://x"},
                     {"origin": "http://localhost:80@evil.example"})),
        lambda: hfjwt.login_url("t", account="acme", return_to="//evil.com"),
        lambda: hfjwt.sign_in_url(KEY, email="a@b.co", account="a.b"),
        lambda: hfjwt.logout_url(domain="evil.com/x"),
    ]
    for call in calls:
        with pytest.raises(hfjwt.ConfigError) as info:
            call()
        assert info.value.kind == "invalid_config" and str(info.value)
        assert isinstance(info.value, ValueError)
        assert not isinstance(info.value, hfjwt.TokenError)
    assert "ConfigError" in hfjwt.__all__ and hfjwt.ConfigError.__module__ == "hfjwt"
