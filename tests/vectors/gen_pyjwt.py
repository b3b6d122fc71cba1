#!/usr/bin/env python3
"""Generates pyjwt.json: tokens minted by PyJWT, with what hfjwt must answer for each.

Run by hand when the vectors should change (the data file is committed):

    python3 -m venv /tmp/vgen && /tmp/vgen/bin/pip install 'PyJWT==2.10.1'
    /tmp/vgen/bin/python tests/vectors/gen_pyjwt.py > tests/vectors/pyjwt.json

Every vector carries its own `now`, so no token goes stale: verifiers are called with that
time, never the wall clock. `expect` is "ok" or the hfjwt error kind.
"""
import json
import sys

import jwt
from jwt.api_jws import PyJWS

KEY = "Hf7aQ2mZ9xLp4Rt8Vc3Nw6Yb1Ks5Jd0E"  # a 32-character alphanumeric key, like HappyFox's
OTHER_KEY = "Zz9yXx8wWv7uUt6sSr5qQp4oOn3mMl2k"
NOW = 1_717_740_457

vectors = []


def add(name, token, expect, claims=None, key=KEY, now=NOW):
    v = {"name": name, "token": token, "key": key, "now": now, "expect": expect}
    if claims is not None:
        v["claims"] = claims
    vectors.append(v)


def enc(payload, key=KEY, **kw):
    return jwt.encode(payload, key, algorithm=kw.pop("algorithm", "HS256"), **kw)


def ok(name, payload, **kw):
    add(name, enc(payload, **kw), "ok", claims=payload)


base = {"name": "John Doe", "email": "john@john.com", "iat": NOW - 10, "jti": "2c65fe8c-2494-11ef-9bc0-1e00e222b599"}

ok("happyfox_sample", base)
ok("no_name", {k: v for k, v in base.items() if k != "name"})
ok("non_ascii_name_escaped_by_pyjwt", {**base, "name": "José Müller"})
ok("astral_plane_name_surrogate_pair", {**base, "name": "Zoë 😀 李"})
ok("unicode_email", {**base, "email": "josé@exämple.de"})
ok("jti_with_quotes_and_slashes", {**base, "jti": 'a/b\\c"d'})
ok("iat_exactly_max_age_ago", {**base, "iat": NOW - 120})
ok("iat_equals_now", {**base, "iat": NOW})
ok("unknown_nested_claims_ignored", {**base, "org": {"id": 7, "tags": ["a", {"b": None}]}, "roles": [1, 2.5, True]})
ok("exp_and_nbf_honoured", {**base, "exp": NOW + 60, "nbf": NOW - 60})
ok("extra_header_parameter", base, headers={"kid": "portal-1"})

add("iat_121_seconds_ago", enc({**base, "iat": NOW - 121}), "expired")
add("iat_in_future", enc({**base, "iat": NOW + 5}), "issued_in_future")
add("exp_passed", enc({**base, "exp": NOW - 1}), "expired")
add("nbf_in_future", enc({**base, "nbf": NOW + 30}), "issued_in_future")
add("wrong_key", enc(base, key=OTHER_KEY), "bad_signature")
add("hs512", enc(base, algorithm="HS512"), "unsupported_algorithm")
add("alg_none", jwt.encode(base, None, algorithm="none"), "unsupported_algorithm")
add("missing_iat", enc({k: v for k, v in base.items() if k != "iat"}), "missing_claim")
add("missing_jti", enc({k: v for k, v in base.items() if k != "jti"}), "missing_claim")
add("missing_email", enc({k: v for k, v in base.items() if k != "email"}), "missing_claim")
add("iat_string", enc({**base, "iat": str(NOW)}), "invalid_claim")
add("iat_float", enc({**base, "iat": NOW - 0.5}), "invalid_claim")
add("iat_negative", enc({**base, "iat": -1}), "invalid_claim")
add("jti_empty", enc({**base, "jti": ""}), "invalid_claim")
add("jti_number", enc({**base, "jti": 42}), "invalid_claim")
add("email_not_an_address", enc({**base, "email": "john at john.com"}), "invalid_claim")
add("name_not_a_string", enc({**base, "name": ["John"]}), "invalid_claim")
add("crit_header", enc(base, headers={"crit": ["exp"]}), "malformed")

# A payload PyJWT's own decoder would accept (it keeps the last duplicate), signed correctly.
dup = ('{"name":"John Doe","email":"john@john.com","iat":%d,"jti":"x","iat":%d}' % (NOW - 10, NOW)).encode()
add("duplicate_claim_pyjwt_keeps_last", PyJWS().encode(dup, KEY, algorithm="HS256"), "invalid_claim")
dup_esc = ('{"email":"john@john.com","iat":%d,"jti":"x","\\u0069at":%d}' % (NOW - 10, NOW)).encode()
add("duplicate_claim_via_escape", PyJWS().encode(dup_esc, KEY, algorithm="HS256"), "invalid_claim")

# Encodings PyJWT accepts but a strict verifier must not.
t = enc(base)
h, p, s = t.split(".")
add("padded_payload", f"{h}.{p}{'=' * (-len(p) % 4)}.{s}" if len(p) % 4 else f"{h}.{p}==.{s}", "malformed")
add("padded_signature", f"{h}.{p}.{s}=", "malformed")
std = s.replace("-", "+").replace("_", "/")
if std == s:  # make sure the vector really uses the standard alphabet
    std = "+" + s[1:]
add("standard_alphabet_signature", f"{h}.{p}.{std}", "malformed")
add("four_segments", f"{t}.{s}", "malformed")
add("two_segments", f"{h}.{p}", "malformed")

json.dump({"generator": f"PyJWT {jwt.__version__}", "vectors": vectors}, sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
