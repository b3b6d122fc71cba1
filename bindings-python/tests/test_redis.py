"""``Verifier(replay_store="redis://…")`` against a real redis-server started per test: one
sign-in per jti across processes, threads and worker CLIs, fail-closed when Redis stops or
freezes, recovery with its memory, the key's TTL, and no key for refused tokens."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Iterator, Union

import pytest

import hfjwt
import redis_workers
from conftest import KEY, OTHER_KEY
from redis_server import RedisServer


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server
    finally:
        server.close()


def test_every_token_accepted_once_across_8_processes_of_8_threads(redis: RedisServer) -> None:
    iat = int(time.time())
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(8) as pool:
        results = pool.starmap(
            redis_workers.worker, [(redis.url, iat, 1000, 8, seed) for seed in range(8)]
        )
    count = Counter(jti for accepted in results for jti in accepted)
    assert len(count) == 1000, "every token accepted"
    assert set(count.values()) == {1}, [j for j, n in count.items() if n > 1]
    assert redis.cmd("DBSIZE") == "1000"


def test_stopped_redis_refuses_everything_then_resumes_with_its_memory(redis: RedisServer) -> None:
    iat = int(time.time())
    toks = redis_workers.tokens(iat, 600)
    v = hfjwt.Verifier(KEY, replay_store=redis.url)  # one Verifier shared by 8 threads
    stopped = threading.Event()
    log: list[tuple[str, str, bool]] = []  # (jti, "ok" or kind, stop completed before call)
    lock = threading.Lock()

    def run(t: int) -> None:
        for jti, token in toks[t::8] + toks:
            after_stop = stopped.is_set()
            try:
                v.verify(token)
                result = "ok"
            except hfjwt.TokenError as e:
                result = e.kind
            with lock:
                log.append((jti, result, after_stop))
            time.sleep(0.0005)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while sum(r == "ok" for _, r, _ in list(log)) < 150:
        assert time.monotonic() < deadline, "workers too slow"
        time.sleep(0.001)
    redis.stop_keeping_data()
    stopped.set()
    for t in threads:
        t.join()

    accepted = Counter(j for j, r, _ in log if r == "ok")
    assert set(accepted.values()) == {1}, "a token accepted twice"
    after = [(j, r) for j, r, a in log if a]
    assert after, "the stop landed after the run"
    assert {r for _, r in after} == {"replay_store_unavailable"}
    assert {r for _, r, _ in log} <= {"ok", "replayed", "replay_store_unavailable"}
    assert len(accepted) < len(toks)

    redis.restart()
    v.check_replay_store()
    for jti, token in toks:
        if jti in accepted:
            with pytest.raises(hfjwt.ReplayedToken):
                v.verify(token)
        else:
            # Accepted now, unless its SET ran while the reply was lost in the stop
            # (then refused as replayed: fail closed, never accepted twice).
            try:
                v.verify(token)
            except hfjwt.ReplayedToken:
                pass
            with pytest.raises(hfjwt.ReplayedToken):
                v.verify(token)


def test_frozen_redis_times_out_in_parallel_with_the_gil_released(redis: RedisServer) -> None:
    v = hfjwt.Verifier(KEY, replay_store=redis.url, replay_timeout=0.3)
    iat = int(time.time())
    assert v.verify(hfjwt.mint(KEY, email="jo@acme.com", iat=iat))
    redis.freeze()
    results: list[Union[str, float]] = []

    def call(i: int) -> None:
        start = time.monotonic()
        try:
            v.verify(hfjwt.mint(KEY, email="jo@acme.com", iat=iat, jti=f"frozen-{i}"))
            results.append("accepted")
        except hfjwt.ReplayStoreUnavailable:
            results.append(time.monotonic() - start)

    start = time.monotonic()
    threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    redis.thaw()
    assert "accepted" not in results
    assert all(isinstance(r, float) and 0.25 < r < 2.0 for r in results), results
    # Eight 0.3 s timeouts side by side, not one after another: the GIL is released and
    # each call has its own connection.
    assert wall < 1.5, wall
    v.check_replay_store()  # reconnects
    assert v.verify(hfjwt.mint(KEY, email="jo@acme.com", iat=iat, jti="after"))


def test_key_is_the_prefixed_sha256_and_lives_as_long_as_the_token_can_pass(
    redis: RedisServer,
) -> None:
    now = int(time.time())
    iat = now - 30
    v = hfjwt.Verifier(KEY, replay_store=redis.url, replay_prefix="portal:", leeway=5)
    assert v.replay_prefix == "portal:" and v.replay_capacity == 0 and v.remembered == 0
    v.verify(hfjwt.mint(KEY, email="jo@acme.com", iat=iat, jti="ttl-1"), now=now)
    key = "portal:" + hashlib.sha256(b"ttl-1").hexdigest()
    assert redis.cmd("GET", key) == "1"
    pttl = int(redis.cmd("PTTL", key) or "0")
    # Passes until iat + 120 + 5 inclusive: the key lives until the end of that second.
    want = (iat + 125 + 1 - now) * 1000
    assert want - 2000 <= pttl <= want, (pttl, want)
    assert "redis" in repr(v) and redis.url not in repr(v)


def test_refused_tokens_never_create_a_key(redis: RedisServer) -> None:
    v = hfjwt.Verifier(KEY, replay_store=redis.url)
    now = int(time.time())
    for token, error in [
        (hfjwt.mint(KEY, email="jo@acme.com", iat=now - 500), hfjwt.ExpiredToken),
        (hfjwt.mint(OTHER_KEY, email="jo@acme.com", iat=now), hfjwt.BadSignature),
        (hfjwt.mint(KEY, email="jo@acme.com", iat=now, aud="kiosk-b"), hfjwt.WrongAudience),
        ("x.y.z", hfjwt.MalformedToken),
    ]:
        with pytest.raises(error):
            v.verify(token)
    assert redis.cmd("DBSIZE") == "0"


def test_two_worker_processes_sign_a_link_in_once(redis: RedisServer) -> None:
    """Two `python -m hfjwt verify --replay-store` workers get the same tokens at once: for
    each token one signs in, the other refuses it as replayed."""
    env = dict(os.environ, HFJWT_KEY=KEY)
    iat = int(time.time())
    for i in range(10):
        token = hfjwt.mint(KEY, email="jo@acme.com", iat=iat, jti=f"link-{i}")
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "hfjwt", "verify", "--replay-store", redis.url, token],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for _ in range(2)
        ]
        outcomes = sorted((w.wait(timeout=30), w.communicate()[1]) for w in workers)
        assert outcomes[0][0] == 0, outcomes
        assert outcomes[1][0] == 1 and "replayed" in outcomes[1][1], outcomes


def test_configuration_mistakes_are_value_errors() -> None:
    for kwargs in (
        {"replay_store": "http://127.0.0.1:6379"},
        {"replay_store": "redis://127.0.0.1", "replay_timeout": 0},
        {"replay_store": "redis://127.0.0.1", "replay_capacity": 10},
        {"replay_prefix": "x:"},
    ):
        with pytest.raises(ValueError) as info:
            hfjwt.Verifier(KEY, **kwargs)  # type: ignore[arg-type]
        assert not isinstance(info.value, hfjwt.TokenError)
    # rediss:// and unix:// URLs are understood (nothing listens: unavailable, not an error).
    for url in ("rediss://127.0.0.1:1/0", "unix:///nonexistent/redis.sock"):
        with pytest.raises(hfjwt.ReplayStoreUnavailable):
            hfjwt.Verifier(KEY, replay_store=url).check_replay_store()
    assert hfjwt.Verifier(KEY, replay_store="memory").replay_prefix is None
