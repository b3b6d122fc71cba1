"""One key rule for hfjwt-sim, `python -m hfjwt` and the Python API's `str` keys.

Exactly one trailing LF or CRLF is stripped; other surrounding whitespace, control characters
and a byte order mark are refused with a message saying so; sources over 4 KiB are refused
without being read whole; a key file readable by group or others gets a warning. `bytes`
keys are raw key material, used as given.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

import hfjwt
from conftest import KEY, NOW

WHITESPACE = "has whitespace before or after the key (only one final newline is stripped)"
CONTROL = "contains control characters"
BOM = "starts with a UTF-8 byte order mark (BOM)"


def same_token(key: object) -> bool:
    token = hfjwt.mint(key, email="jo@acme.com", iat=NOW, jti="k")  # type: ignore[arg-type]
    return token == hfjwt.mint(KEY.encode(), email="jo@acme.com", iat=NOW, jti="k")


@pytest.mark.parametrize("text", [KEY, KEY + "\n", KEY + "\r\n"])
def test_str_key_loses_exactly_one_final_newline(text: str) -> None:
    # open("key.txt").read() keeps the editor's newline: it must sign as the bare key.
    assert same_token(text)
    assert hfjwt.Verifier(text).verify(hfjwt.mint(KEY, email="a@b.co"))["email"] == "a@b.co"
    assert hfjwt.decode(hfjwt.encode({"email": "a@b.co"}, text), KEY)["email"] == "a@b.co"
    url = hfjwt.sign_in_url(text, email="a@b.co", account="acme", iat=NOW, jti="k")
    assert hfjwt.decode(url.split("token=")[1].split("&")[0], KEY, max_age=2**40)


@pytest.mark.parametrize(
    "text, problem",
    [
        (KEY + "\n\n", WHITESPACE),
        (KEY + "\r\n\n", WHITESPACE),
        (KEY + " \n", WHITESPACE),
        (KEY + "\r", WHITESPACE),
        (KEY + "\t", WHITESPACE),
        (" " + KEY, WHITESPACE),
        ("\n" + KEY + "\n", WHITESPACE),
        ("\u00a0" + KEY, WHITESPACE),
        ("\ufeff" + KEY + "\n", BOM),
        (KEY[:8] + "\x00" + KEY[8:], CONTROL),
        (KEY[:8] + "\x1b" + KEY[8:], CONTROL),
        (KEY[:8] + "\x7f" + KEY[8:], CONTROL),
        (KEY[:8] + "\u0085" + KEY[8:], CONTROL),
        ("a" * 4097, "is larger than 4 KiB, so it is not a key"),
    ],
)
def test_str_key_with_stray_bytes_is_refused_saying_what(text: str, problem: str) -> None:
    for call in (
        lambda: hfjwt.mint(text, email="a@b.co"),
        lambda: hfjwt.Verifier(text),
        lambda: hfjwt.decode("a.b.c", text),
        lambda: hfjwt.encode({"email": "a@b.co"}, text),
        lambda: hfjwt.sign_in_url(text, email="a@b.co", account="acme"),
    ):
        with pytest.raises(hfjwt.ConfigError) as raised:
            call()
        assert isinstance(raised.value, ValueError)
        assert not isinstance(raised.value, hfjwt.TokenError)  # a configuration mistake
        assert raised.value.kind == "invalid_config"
        assert f"the key {problem}" in str(raised.value)


def test_str_key_rule_keeps_what_is_key_material() -> None:
    assert same_token(KEY)
    # Inner spaces are the key's own (weak or not is the core's business).
    hfjwt.Verifier("correct horse battery staple 1234\n")
    assert hfjwt.mint("a" * 4096, email="a@b.co")
    with pytest.raises(hfjwt.WeakKey):
        hfjwt.Verifier("short\n")


@pytest.mark.parametrize("raw", [KEY.encode() + b"\n", b" " + KEY.encode(), b"\xef\xbb\xbf" + KEY.encode()])
def test_bytes_keys_are_taken_as_given(raw: bytes) -> None:
    # Raw key material: any byte can be part of a binary key, so nothing is stripped.
    token = hfjwt.mint(raw, email="a@b.co", iat=NOW, jti="k")
    assert hfjwt.decode(token, raw, max_age=2**40)["jti"] == "k"
    assert hfjwt.mint(bytearray(raw), email="a@b.co", iat=NOW, jti="k") == token
    with pytest.raises(hfjwt.BadSignature):
        hfjwt.decode(token, KEY, max_age=2**40)


def test_the_key_remembered_per_thread_is_only_reused_for_the_same_key() -> None:
    # Each thread keeps the key it derived last (src/convert.rs, KeyCache); every check still
    # applies to every call, whatever was remembered before it.
    raw = KEY.encode()
    assert same_token(KEY) and same_token(KEY)  # derived, then remembered
    # The same bytes as text and as bytes are different keys: the text loses its newline.
    text_token = hfjwt.mint(KEY + "\n", email="a@b.co", iat=NOW, jti="k")
    bytes_token = hfjwt.mint(raw + b"\n", email="a@b.co", iat=NOW, jti="k")
    assert text_token != bytes_token
    assert hfjwt.mint(KEY + "\n", email="a@b.co", iat=NOW, jti="k") == text_token
    assert hfjwt.mint(raw + b"\n", email="a@b.co", iat=NOW, jti="k") == bytes_token
    # A refused key is refused again right after a good one, and does not evict it.
    for _ in range(2):
        assert same_token(KEY)
        with pytest.raises(hfjwt.ConfigError):
            hfjwt.mint(KEY + " ", email="a@b.co")
        with pytest.raises(hfjwt.WeakKey):
            hfjwt.mint(raw[:31], email="a@b.co")
    # A key differing from the remembered one only in its last byte is not mistaken for it.
    other = KEY[:-1] + ("a" if KEY[-1] != "a" else "b")
    assert not same_token(other)
    # A bytearray is compared by its contents at each call, so changing it changes the key.
    mutable = bytearray(raw)
    assert hfjwt.mint(mutable, email="a@b.co", iat=NOW, jti="k") == hfjwt.mint(
        raw, email="a@b.co", iat=NOW, jti="k"
    )
    mutable[0] ^= 1
    assert hfjwt.mint(mutable, email="a@b.co", iat=NOW, jti="k") == hfjwt.mint(
        bytes(mutable), email="a@b.co", iat=NOW, jti="k"
    )
    assert not same_token(mutable)


def test_threads_minting_with_different_keys_each_get_their_own() -> None:
    import threading

    keys = [f"{i:02d}" + KEY[2:] for i in range(8)]
    expected = {k: hfjwt.mint(k.encode(), email="a@b.co", iat=NOW, jti="k") for k in keys}
    failures: list[str] = []

    def run(key: str) -> None:
        for _ in range(500):
            if hfjwt.mint(key, email="a@b.co", iat=NOW, jti="k") != expected[key]:
                failures.append(key)
                return

    threads = [threading.Thread(target=run, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def cli(
    *args: str, stdin: bytes = b"", env: Optional[dict[str, str]] = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "HFJWT_KEY"}
    environ.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "hfjwt", *args],
        input=stdin, capture_output=True, env=environ, timeout=60,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def key_file(tmp_path: Path, content: bytes, mode: int = 0o600) -> str:
    path = tmp_path / "k.txt"
    path.write_bytes(content)
    path.chmod(mode)
    return str(path)


def minted_key(out: subprocess.CompletedProcess[str]) -> bool:
    assert out.returncode == 0, out.stderr
    return hfjwt.decode(out.stdout.strip(), KEY)["email"] == "jo@acme.com"


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n"])
def test_cli_key_sources_strip_one_final_newline(tmp_path: Path, ending: bytes) -> None:
    path = key_file(tmp_path, KEY.encode() + ending)
    for where in (["--key-file", path, "mint"], ["mint", "--key-file", path]):
        assert minted_key(cli(*where, "--email", "jo@acme.com"))
    assert minted_key(cli("mint", "--key-file", "-", "--email", "jo@acme.com",
                          stdin=KEY.encode() + ending))
    value = (KEY.encode() + ending).decode()
    assert minted_key(cli("mint", "--key-env", "MY_KEY", "--email", "jo@acme.com",
                          env={"MY_KEY": value}))
    assert minted_key(cli("mint", "--email", "jo@acme.com", env={"HFJWT_KEY": value}))


@pytest.mark.parametrize(
    "content, problem",
    [
        (KEY.encode() + b"\n\n", WHITESPACE),
        (b" " + KEY.encode() + b"\n", WHITESPACE),
        (KEY.encode() + b"\t\n", WHITESPACE),
        (b"\xef\xbb\xbf" + KEY.encode() + b"\n", BOM),
        (KEY.encode()[:5] + b"\x1b" + KEY.encode()[5:], CONTROL),
    ],
)
def test_cli_refuses_stray_bytes_in_every_source(tmp_path: Path, content: bytes, problem: str) -> None:
    path = key_file(tmp_path, content)
    advice = "write only the key" if problem != BOM else "save the file as UTF-8 without BOM"
    cases = [
        (cli("mint", "--key-file", path, "--email", "a@b.co"), f"key file {path}: {problem}"),
        (cli("verify", "--key-file", "-", "a.b.c", stdin=content),
         f"the key on standard input: {problem}"),
        (cli("url", "--mint", "--email", "a@b.co", "--account", "acme", "--key-env", "K",
             env={"K": os.fsdecode(content)}), f"environment variable K: {problem}"),
    ]
    for out, message in cases:
        assert out.returncode == 2, out
        assert out.stdout == ""
        assert out.stderr.startswith(f"python -m hfjwt: error: {message}; {advice}")


def test_cli_refuses_a_key_source_over_4_kib_without_reading_it_whole(tmp_path: Path) -> None:
    limit = cli("mint", "--key-file", key_file(tmp_path, b"a" * 4096), "--email", "a@b.co")
    assert limit.returncode == 0, limit.stderr  # 4 KiB is still a key
    big = cli("mint", "--key-file", key_file(tmp_path, b"a" * 4097), "--email", "a@b.co")
    assert big.returncode == 2 and "is larger than 4 KiB, so it is not a key" in big.stderr
    # /dev/zero never ends: reading it whole would never return.
    zero = cli("mint", "--key-file", "/dev/zero", "--email", "a@b.co")
    assert zero.returncode == 2
    assert "key file /dev/zero: is larger than 4 KiB, so it is not a key" in zero.stderr


def test_cli_warns_when_group_or_others_may_read_the_key_file(tmp_path: Path) -> None:
    private = cli("mint", "--key-file", key_file(tmp_path, KEY.encode() + b"\n"), "--email",
                  "jo@acme.com")
    assert minted_key(private) and private.stderr == ""
    for mode in (0o640, 0o604, 0o644):
        path = key_file(tmp_path, KEY.encode() + b"\n", mode)
        shared = cli("mint", "--key-file", path, "--email", "jo@acme.com")
        assert minted_key(shared)  # still works
        assert shared.stderr == (
            f"python -m hfjwt: warning: key file {path} is readable by group or others "
            f"(mode {stat.S_IMODE(mode):03o}); chmod 600 it\n"
        )


def test_cli_key_options_and_their_errors(tmp_path: Path) -> None:
    path = key_file(tmp_path, KEY.encode())
    both = cli("--key-file", path, "mint", "--key-env", "K", "--email", "a@b.co", env={"K": KEY})
    assert both.returncode == 2 and "give --key-file or --key-env, not both" in both.stderr
    unset = cli("mint", "--key-env", "NOPE", "--email", "a@b.co")
    assert unset.returncode == 2
    assert unset.stderr == "python -m hfjwt: error: environment variable NOPE is not set\n"
    none = cli("mint", "--email", "a@b.co")
    assert none.returncode == 2 and "pass --key-file PATH or --key-env VAR" in none.stderr
    missing = cli("mint", "--key-file", str(tmp_path / "absent"), "--email", "a@b.co")
    assert missing.returncode == 2 and "cannot read key file" in missing.stderr
    stdin_twice = cli("verify", "--key-file", "-", stdin=KEY.encode())
    assert stdin_twice.returncode == 2
    assert "the key and the token cannot both come from standard input" in stdin_twice.stderr
    weak = cli("mint", "--email", "a@b.co", env={"HFJWT_KEY": "short"})
    assert weak.returncode == 2 and weak.stderr.startswith("error: weak_key:")
