"""The body of each worker process of test_redis.py (imported by multiprocessing's spawn)."""

from __future__ import annotations

import random
import threading

import hfjwt

KEY = "0123456789abcdefghijklmnopqrstuv"


def tokens(iat: int, count: int) -> list[tuple[str, str]]:
    """The same tokens in every process: fixed jtis, the given iat."""
    return [
        (f"tok-{i}", hfjwt.mint(KEY, email="jo@acme.com", name="Jo", iat=iat, jti=f"tok-{i}"))
        for i in range(count)
    ]


def worker(url: str, iat: int, count: int, threads: int, seed: int) -> list[str]:
    """`threads` threads, each with its own Verifier on `url`, verify every token in its own
    shuffled order; returns the jtis accepted in this process (refusals other than replayed
    raise)."""
    toks = tokens(iat, count)
    accepted: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(t: int) -> None:
        try:
            v = hfjwt.Verifier(KEY, replay_store=url)
            order = list(range(count))
            random.Random(seed * 1000 + t).shuffle(order)
            for i in order:
                jti, token = toks[i]
                try:
                    v.verify(token)
                except hfjwt.ReplayedToken:
                    continue
                with lock:
                    accepted.append(jti)
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            errors.append(e)

    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]
    return accepted
