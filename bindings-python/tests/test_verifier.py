"""The Verifier object: configuration, thread safety, and the shape of its claims."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

import hfjwt
from conftest import KEY, NOW, craft, grant


def test_defaults_and_repr_never_show_the_key() -> None:
    v = hfjwt.Verifier(KEY)
    assert (v.max_age, v.leeway, v.replay_capacity, v.max_token_len) == (120, 0, 1024, 4096)
    assert v.allowed_domains is None and v.remembered == 0
    assert KEY not in repr(v) and "redacted" in repr(v)
    v = hfjwt.Verifier(KEY.encode(), max_age=300, leeway=5, allowed_domains=("a.co", "B.co"))
    assert (v.max_age, v.leeway, v.allowed_domains) == (300, 5, ("a.co", "B.co"))


def test_claims_dict_shape() -> None:
    token = craft(grant(name="Jo") | {"exp": NOW + 60, "nbf": NOW - 1, "aud": "x", "sub": "y"})
    claims = hfjwt.Verifier(KEY, audience="x").verify(token, now=NOW)
    assert claims == {
        "name": "Jo", "email": "jo@acme.com", "iat": NOW, "jti": "jti-1",
        "exp": NOW + 60, "nbf": NOW - 1, "aud": "x",
    }


def test_allow_list_is_case_insensitive_and_exact() -> None:
    v = hfjwt.Verifier(KEY, allowed_domains=["acme.com"])
    assert v.verify(craft(grant(email="jo@ACME.com")), now=NOW)
    assert v.remembered == 1


def test_email_optional_when_asked() -> None:
    token = craft({"iat": NOW, "jti": "x"})
    assert hfjwt.Verifier(KEY, require_email=False).verify(token, now=NOW) == {"iat": NOW, "jti": "x"}


def test_now_accepts_floats_and_defaults_to_the_clock() -> None:
    assert hfjwt.Verifier(KEY).verify(craft(grant()), now=NOW + 0.9)
    token = hfjwt.mint(KEY, email="jo@acme.com")
    assert hfjwt.Verifier(KEY).verify(token)["email"] == "jo@acme.com"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"replay_capacity": 0},
        {"replay_capacity": 1 << 40},
        {"replay_capacity": -1},
        {"max_token_len": 0},
        {"max_age": -1},
        {"leeway": 2**64},
    ],
)
def test_bad_configuration_is_value_error(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError) as info:
        hfjwt.Verifier(KEY, **kwargs)  # type: ignore[arg-type]
    assert not isinstance(info.value, hfjwt.TokenError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"allowed_domains": "acme.com"},
        {"allowed_domains": 5},
        {"allowed_domains": [5]},
        {"max_age": "120"},
        {"max_age": 1.5},
        {"leeway": True},
        {"replay_capacity": "x"},
    ],
)
def test_wrong_types_are_type_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        hfjwt.Verifier(KEY, **kwargs)  # type: ignore[arg-type]


def test_many_threads_one_verifier_accept_each_jti_once() -> None:
    tokens = [craft(grant(jti=f"t{i}")) for i in range(300)]
    v = hfjwt.Verifier(KEY, replay_capacity=len(tokens))
    accepted: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(16)

    def worker(offset: int) -> None:
        start.wait()
        for i in range(len(tokens)):
            token = tokens[(i + offset * 7) % len(tokens)]
            try:
                jti = v.verify(token, now=NOW)["jti"]
                with lock:
                    accepted[str(jti)] += 1
            except hfjwt.TokenError as e:
                with lock:
                    refused[e.kind] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == len(tokens) and set(accepted.values()) == {1}
    assert refused == {"replayed": 15 * len(tokens)}
    assert v.remembered == len(tokens)


def test_threads_at_capacity_never_overfill() -> None:
    v = hfjwt.Verifier(KEY, replay_capacity=10)
    results: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(5):
            try:
                v.verify(craft(grant(jti=f"{n}-{i}")), now=NOW)
                outcome = "ok"
            except hfjwt.TokenError as e:
                outcome = e.kind
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(results) == {"ok": 10, "replay_cache_full": 30}
