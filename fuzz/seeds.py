#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (small files, committed).

Run from anywhere: `python3 fuzz/seeds.py`. Standard library only. The byte layouts match
the input formats documented at the top of each fuzz target.
"""
import base64, hashlib, hmac, json, os, struct

KEY = b"0123456789abcdefghijklmnopqrstuv"
OTHER = b"vutsrqponmlkjihgfedcba9876543210"
HEADER = b'{"alg":"HS256","typ":"JWT"}'
IAT = 1_700_000_000
HERE = os.path.dirname(os.path.abspath(__file__))


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def sign(payload, header=HEADER, key=KEY):
    si = b64(header) + b"." + b64(payload)
    return si + b"." + b64(hmac.new(key, si, hashlib.sha256).digest())


def claims(**kw):
    c = {"name": "Jo", "email": "jo@acme.com", "iat": IAT, "jti": "5c8e0a4e-0b7f"}
    c.update(kw)
    return json.dumps({k: v for k, v in c.items() if v is not None}, separators=(",", ":")).encode()


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def verify_cfg(mode, now=IAT + 10, max_age=120, leeway=0, max_len=0, flags=1, delta=0, flip=0):
    # mode u8, now u64, max_age u16, leeway u8, max_token_len u16, flags u8, scratch_delta i8, flip u16
    return struct.pack("<BQHBHBbH", mode, now, max_age, leeway, max_len, flags, delta, flip)


PAYLOADS = {
    "plain": claims(),
    "pyjwt_escaped": json.dumps({"name": "Jos\u00e9 \U0001F600", "email": "jos\u00e9@acme.com",
                                 "iat": IAT, "jti": "j\"1\\"}).encode(),
    "no_name": claims(name=None),
    "no_email": claims(email=None),
    "no_jti": claims(jti=None),
    "empty_jti": claims(jti=""),
    "dup_iat": b'{"email":"jo@acme.com","iat":1700000000,"\\u0069at":1,"jti":"a"}',
    "iat_fraction": b'{"email":"jo@acme.com","iat":1700000000.5,"jti":"a"}',
    "iat_string": b'{"email":"jo@acme.com","iat":"1700000000","jti":"a"}',
    "iat_huge": b'{"email":"jo@acme.com","iat":18446744073709551616,"jti":"a"}',
    "aud_string": claims(aud="kiosk-a"),
    "aud_array_escaped": b'{"email":"jo@acme.com","iat":1700000000,"jti":"a","aud":["x","kiosk\\u002da"]}',
    "aud_array_bad": b'{"email":"jo@acme.com","iat":1700000000,"jti":"a","aud":["kiosk-a",1]}',
    "exp_nbf": b'{"email":"jo@acme.com","iat":1700000000,"exp":1700000060.25,"nbf":1699999999,"jti":"a"}',
    "nested_unknown": b'{"email":"jo@acme.com","x":[1,{"y":[null,true,false,-1.5e-3]},"z"],"iat":1700000000,"jti":"a"}',
    "bad_email": claims(email="jo@@acme"),
    "other_domain": claims(email="eve@evil.example"),
    "surrogates": b'{"email":"jo@acme.com","iat":1700000000,"jti":"\\ud83d\\ude00","name":"\\ud800"}',
    "whitespace": b' {\n "email" : "jo@ACME.com" ,\t"iat":1700000000 , "jti":"a" }\r\n',
    "huge_number": b'{"email":"jo@acme.com","iat":1700000000,"jti":"a","big":1e400}',
}
HEADERS = {
    "hdr_none": b'{"alg":"none","typ":"JWT"}',
    "hdr_crit": b'{"alg":"HS256","crit":["exp"]}',
    "hdr_dup": b'{"alg":"HS256","alg":"HS256"}',
    "hdr_lower": b'{"alg":"hs256"}',
    "hdr_typ": b'{"typ":"jwt","alg":"HS\\u0032\\u00356"}',
}


def main():
    good = sign(claims())
    raw = {
        "valid": good,
        "valid_other_key": sign(claims(), key=OTHER),
        "tampered_first": good[:-43] + (b"B" if good[-43:-42] == b"A" else b"A") + good[-42:],
        "tampered_last": good[:-1] + (b"w" if good[-1:] == b"g" else b"g"),
        "padded": good + b"==",
        "std_alphabet": good.replace(b"-", b"+").replace(b"_", b"/"),
        "two_segments": good.rsplit(b".", 1)[0],
        "four_segments": good + b".x",
        "empty": b"",
        "dots": b"..",
        "noncanonical_tail": good[:-1] + b"h",
    }
    for name, tok in raw.items():
        write("verify", "raw_" + name, verify_cfg(0) + tok)
    write("verify", "raw_valid_allow_acme", verify_cfg(0, flags=1 | 4) + good)
    write("verify", "raw_valid_allow_list", verify_cfg(0, flags=1 | 6) + good + b"\0x.org,acme.com")
    write("verify", "raw_valid_expired", verify_cfg(0, now=IAT + 121) + good)
    write("verify", "raw_valid_future", verify_cfg(0, now=IAT - 1) + good)
    write("verify", "raw_valid_too_large", verify_cfg(0, max_len=100) + good)
    write("verify", "raw_valid_small_scratch", verify_cfg(0, delta=-3) + good)
    # Audience rules (flag bits 3-4: 0 none, 1 ignored, 2 "kiosk-a", 3 "jo@acme.com").
    for name, aud, flags in [
        ("aud_match", "kiosk-a", 1 | 16),
        ("aud_other", "kiosk-b", 1 | 16),
        ("aud_array", ["x", "kiosk-a"], 1 | 16),
        ("aud_without_policy", "kiosk-a", 1),
        ("aud_ignored", "anyone", 1 | 8),
        ("aud_missing", None, 1 | 24),
    ]:
        write("verify", "signed_" + name, verify_cfg(1, flags=flags) + claims(aud=aud))
    for name, p in PAYLOADS.items():
        write("verify", "signed_" + name, verify_cfg(1 + 2 * (len(name) % 2), flip=len(name) * 7) + p)
        write("differential", name, p)
        write("readers", name, p)
    for name, h in HEADERS.items():
        write("verify", "signed_" + name, verify_cfg(1) + h + b"\0" + claims())

    grants = {
        "ascii": (IAT, 1, "jo@acme.com", "5c8e0a4e", "Jo"),
        "unicode": (IAT, 1, "用户@例子.中国", "jti-é", "José 😀"),
        "controls": (0, 1, "a@b.co", "j\"1\\\n\u0001", "\t\u2028\u007f"),
        "no_name": (2**64 - 1, 0, "x@y.z", "j", ""),
        "bad_email": (1, 1, "nope", "j", "n"),
        "empty_jti": (1, 1, "a@b.co", "", "n"),
    }
    for name, (iat, flags, email, jti, nm) in grants.items():
        write("roundtrip", name, struct.pack("<QB", iat, flags) + "\0".join([email, jti, nm]).encode())

    urls = {
        "account": (0, 2, "acme", good.decode(), "", "https://portal.acme.com/sso/login"),
        "domain": (1, 3, "support.acme.com", "a.b.c", "", "http://localhost:5000/login"),
        "origin": (2, 4, "http://127.0.0.1:8080/", "t", "/new?x=é&y", "http://evil.com/"),
        "bad_path": (0, 4, "acme", "t", "//evil.com", "javascript:alert(1)"),
        "bad_site": (1, 1, "evil.com/x", "t", "", "https:///x"),
        "long_token": (0, 0, "a" * 63, "x" * 300, "", "https://a"),
    }
    for name, (sk, rk, site, tok, ret, remote) in urls.items():
        write("url", name, bytes([sk, rk]) + "\0".join([site, tok, ret, remote]).encode())

    # kiosk_line: records separated by \n (see fuzz_targets/kiosk_line.rs). `g` mints a portal
    # token in the harness (jti byte, email byte, name byte, iat offset from the kiosk clock).
    kiosk = {
        "time_good": [b"t0", b"gaa1", b"w1500", b"gba\x011", b"gca\x00-119"],
        "clock_unset": [b"gaa1", b"t0", b"G\x00", b"gaa1"],
        "replay": [b"t0", b"gaa1", b"G\x00", b"w1000", b"gaa1", b"w121000", b"gaa1",
                   b"t-300", b"G\x00", b"G\x01"],
        "time_window": [b"t1000", b"gab0-121", b"gac0-120", b"gad01", b"gae0-1005",
                        b"t500", b"gaf0", b"t99999", b"gag0"],
        "garbage": [b"snot a token", b"t0", b"s", b"sa.b.c", b"s..", b"seyJhbGciOiJub25lIn0.e30.",
                    b"sx\r", b"s\r\r", b"hHELLO", b"hTIME", b"hTIME -1",
                    b"hTIME 99999999999999999999", b"hTIME 12x", b"h" + b"TIME 1" * 20,
                    b"HTIME 18", b"h00000000", b"hHALT"],
        "overlong": [b"t0", b"Ra600", b"s", b"ga\x00\xff0", b"Rz512", b"s", b"Sab", b"scd",
                     b"H" + b"x" * 70, b"h"],
        "forged": [b"t0", b"gaa1", b"F\x00\x02A", b"F\x00\x00B", b"F\x00\x50_", b"G\x00"],
        "buttons": [b"t0", b"b1", b"B2", b"B2", b"gaa1", b"b0", b"b\x02", b"gba1", b"w61000",
                    b"w3000", b"B0", b"w59000", b"gca1", b"t200"],
        "led_idle": [b"sjunk", b"t0", b"w2999", b"w1", b"gaa1", b"w59999", b"w1", b"t100",
                     b"gba1", b"t1000"],
        "rollback": [b"t0", b"gaa1", b"t200", b"gba1", b"t10", b"G\x00", b"gaa1-5"],
        "cache_full": [b"t0"] + [b"g" + bytes([j]) + b"a\x01" for j in range(32, 66)] + [b"w1"],
    }
    for name, records in kiosk.items():
        write("kiosk_line", name, b"\n".join(records))


if __name__ == "__main__":
    main()
