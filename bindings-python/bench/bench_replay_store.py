"""hfjwt.Verifier.verify with the in-memory replay cache and with Redis on loopback, from
Python: verifies per second and p50/p99 latency for 1, 4 and 16 concurrent clients, as
threads sharing one Verifier and as separate processes with one Verifier each.

    python bindings-python/bench/bench_replay_store.py [--tokens N]

Starts its own redis-server on a free loopback port (scripts/install-redis.sh). A benchmark,
not a test: it prints and exits 0. Every token is distinct (fresh jti), so every verify is an
accepted sign-in that records its jti. The Rust benchmark with the breakdown of where the
time goes is ``cargo bench -p hfjwt-redis --bench replay_store``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
from typing import Optional

import hfjwt

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from redis_server import RedisServer  # noqa: E402  (the tests' server helper)

KEY = "0123456789abcdefghijklmnopqrstuv"


def tokens(tag: str, n: int) -> list[str]:
    iat = int(time.time())
    return [
        hfjwt.mint(KEY, email="john.doe@example-customer.com", name="John Doe", iat=iat,
                   jti=f"{tag}-{i}-5c8e0a4e-0b7f-4c1d-9a7e")
        for i in range(n)
    ]


def client(verifier: hfjwt.Verifier, toks: list[str], out: list[int]) -> None:
    now = int(time.time())
    for t in toks:
        start = time.perf_counter_ns()
        verifier.verify(t, now=now)
        out.append(time.perf_counter_ns() - start)


def make(store: Optional[str], n: int) -> hfjwt.Verifier:
    if store is None:
        return hfjwt.Verifier(KEY, replay_capacity=max(n, 1))
    return hfjwt.Verifier(KEY, replay_store=store)


def threads(store: Optional[str], clients: int, per: int, tag: str) -> tuple[float, list[int]]:
    v = make(store, clients * per)  # one Verifier shared by every thread, as in a portal
    sets = [tokens(f"{tag}-{c}", per) for c in range(clients)]
    lats: list[list[int]] = [[] for _ in range(clients)]
    ts = [threading.Thread(target=client, args=(v, sets[c], lats[c])) for c in range(clients)]
    start = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - start, [x for lat in lats for x in lat]


def process_body(store: Optional[str], per: int, tag: str, start_at: float) -> tuple[float, list[int]]:
    v = make(store, per)
    v.check_replay_store()  # connected before the clock starts
    toks = tokens(tag, per)
    time.sleep(max(0.0, start_at - time.time()))  # every client starts together
    lat: list[int] = []
    client(v, toks, lat)
    return time.time(), lat


def processes(store: Optional[str], clients: int, per: int, tag: str) -> tuple[float, list[int]]:
    ctx = multiprocessing.get_context("spawn")
    # Late enough for every worker to have started and minted its tokens.
    start_at = time.time() + 2.0 + 0.3 * clients
    with ctx.Pool(clients) as pool:
        results = pool.starmap(
            process_body, [(store, per, f"{tag}-{c}", start_at) for c in range(clients)]
        )
    return max(end for end, _ in results) - start_at, [x for _, lat in results for x in lat]


def row(label: str, n: int, wall: float, lat: list[int]) -> None:
    lat.sort()
    p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, len(lat) * 99 // 100)]
    print(f"{label:<30} {n / wall:>10,.0f} verifies/s   p50 {p50 / 1000:>7.1f} µs   "
          f"p99 {p99 / 1000:>7.1f} µs")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tokens", type=int, default=8000, help="verifies per row (default 8000)")
    n = ap.parse_args().tokens
    redis = RedisServer()
    try:
        print(f"hfjwt {hfjwt.__version__}, Python {sys.version.split()[0]}, {n} verifies per row")
        for clients in (1, 4, 16):
            per = n // clients
            for name, store in (("in-memory", None), ("Redis", redis.url)):
                wall, lat = threads(store, clients, per, f"t{name}{clients}")
                row(f"{name}, {clients:>2} threads", per * clients, wall, lat)
        for clients in (1, 4, 16):
            per = n // clients
            for name, store in (("in-memory", None), ("Redis", redis.url)):
                wall, lat = processes(store, clients, per, f"p{name}{clients}")
                row(f"{name}, {clients:>2} processes", per * clients, wall, lat)
    finally:
        redis.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
