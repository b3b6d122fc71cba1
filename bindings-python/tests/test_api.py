"""mint, URLs, decode/encode arguments, the CLI, and hostile inputs: never a panic."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid

import pytest

import hfjwt
from conftest import KEY, NOW, craft, grant


def test_mint_defaults_and_bytes_keys() -> None:
    token = hfjwt.mint(KEY.encode(), email="jo@acme.com", name="Jo")
    claims = hfjwt.decode(token, KEY)
    assert claims["name"] == "Jo" and uuid.UUID(str(claims["jti"])).version == 4
    assert hfjwt.mint(KEY, email="a@b.co", iat=NOW, jti="x") == hfjwt.mint(
        bytearray(KEY.encode()), email="a@b.co", iat=NOW + 0.5, jti="x"
    )
    assert len({hfjwt.mint(KEY, email="a@b.co", iat=NOW) for _ in range(50)}) == 50


def test_default_jti_is_a_canonical_random_uuid() -> None:
    jtis = [hfjwt.decode(hfjwt.mint(KEY, email="a@b.co"), KEY)["jti"] for _ in range(200)]
    for jti in jtis:
        u = uuid.UUID(jti)
        assert str(u) == jti  # 8-4-4-4-12 lowercase hex
        assert u.version == 4 and u.variant == uuid.RFC_4122
    assert len(set(jtis)) == len(jtis)
    # Every random hex digit takes several values over 200 UUIDs (none stuck at one).
    for at in range(36):
        if at not in (8, 13, 14, 18, 19, 23):  # the dashes, the version and variant digits
            assert len({j[at] for j in jtis}) > 4, at


def test_login_and_logout_urls() -> None:
    assert (
        hfjwt.login_url("a.b.c", account="acme")
        == "https://acme.happyfox.com/jwt/?token=a.b.c&return_to=%2Fhome"
    )
    assert (
        hfjwt.login_url("a.b.c", domain="support.acme.com", return_to=None)
        == "https://support.acme.com/jwt/?token=a.b.c"
    )
    assert hfjwt.login_url("t", origin="http://127.0.0.1:8080", return_to="kb").endswith(
        "/jwt/?token=t&return_to=%2Fkb"
    )
    assert hfjwt.logout_url(account="acme") == "https://acme.happyfox.com/logout"
    url = hfjwt.sign_in_url(KEY, account="acme", email="jo@acme.com", return_to="tickets", jti="j")
    token = url.split("token=")[1].split("&")[0]
    assert url.endswith("&return_to=%2Ftickets")
    assert hfjwt.Verifier(KEY).verify(token)["jti"] == "j"


@pytest.mark.parametrize("sites", [{}, {"account": "a", "domain": "b.co"}])
def test_site_needs_exactly_one(sites: dict[str, str]) -> None:
    with pytest.raises(TypeError, match="exactly one"):
        hfjwt.login_url("t", **sites)
    with pytest.raises(TypeError, match="exactly one"):
        hfjwt.sign_in_url(KEY, email="jo@acme.com", **sites)


@pytest.mark.parametrize(
    "call",
    [
        lambda: hfjwt.mint(123, email="a@b.co"),
        lambda: hfjwt.mint(KEY, email=b"a@b.co"),
        lambda: hfjwt.mint(KEY, email="a@b.co", name=1),
        lambda: hfjwt.mint(KEY, email="a@b.co", iat="now"),
        lambda: hfjwt.mint(KEY, email="a@b.co", jti=5),
        lambda: hfjwt.mint(KEY, "a@b.co"),
        lambda: hfjwt.login_url(None, account="acme"),
        lambda: hfjwt.login_url("t", account=1),
        lambda: hfjwt.login_url("t", account="acme", return_to=1),
        lambda: hfjwt.Verifier(None),
        lambda: hfjwt.Verifier(KEY).verify(None),
        lambda: hfjwt.Verifier(KEY).verify(["t"]),
        lambda: hfjwt.Verifier(KEY).verify("t", now="soon"),
        lambda: hfjwt.decode(123, KEY),
        lambda: hfjwt.encode(["email"], KEY),
    ],
)
def test_wrong_types_raise_type_error(call: object) -> None:
    with pytest.raises(TypeError):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    "call",
    [
        lambda: hfjwt.mint(KEY, email="a@b.co", iat=-1),
        lambda: hfjwt.mint(KEY, email="a@b.co", iat=float("nan")),
        lambda: hfjwt.mint(KEY, email="a@b.co", iat=2**64),
        lambda: hfjwt.Verifier(KEY).verify("t", now=-5),
        lambda: hfjwt.encode(grant() | {"exp": -1}, KEY),
        lambda: hfjwt.encode(grant() | {"role": "admin"}, KEY),
        lambda: hfjwt.encode(grant(), KEY, headers={"kid": "1"}),
        lambda: hfjwt.decode(craft(grant()), KEY, options={"verify_signature": False}),
        lambda: hfjwt.decode(craft(grant()), KEY, options={"require": ["exp"]}),
        lambda: hfjwt.decode(craft(grant()), KEY, options={"strict_aud": True}),
    ],
)
def test_bad_values_raise_value_error(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_lone_surrogates_are_clear_errors() -> None:
    with pytest.raises(UnicodeEncodeError):
        hfjwt.mint(KEY, email="a@b.co", name="\ud800")
    with pytest.raises(UnicodeEncodeError):
        hfjwt.Verifier("\udc80" * 32)
    with pytest.raises(hfjwt.MalformedToken):
        hfjwt.Verifier(KEY).verify(craft(grant())[:-1] + "\udfff")
    with pytest.raises(UnicodeEncodeError):
        hfjwt.login_url("t\ud800", account="acme")


def test_huge_inputs() -> None:
    big = "a" * (16 << 20)
    with pytest.raises(hfjwt.TokenTooLarge):
        hfjwt.Verifier(KEY).verify(big)
    with pytest.raises(hfjwt.TokenTooLarge):
        hfjwt.decode(big, KEY)
    with pytest.raises(hfjwt.BufferTooSmall):
        hfjwt.login_url(big, account="acme")
    name = "n" * (600 << 10)
    token = hfjwt.mint(KEY, email="a@b.co", name=name)
    assert len(token) > 800 << 10
    with pytest.raises(hfjwt.TokenTooLarge):
        hfjwt.Verifier(KEY).verify(token)
    assert hfjwt.Verifier(KEY, max_token_len=1 << 20).verify(token)["name"] == name


def test_random_garbage_only_ever_raises_token_errors() -> None:
    rng = random.Random(4)
    v = hfjwt.Verifier(KEY)
    good = craft(grant())
    alphabet = "abcXYZ019-_.=+/ \x00é😀\ud800"
    for _ in range(3000):
        choice = rng.random()
        if choice < 0.4:
            s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        elif choice < 0.8:
            chars = list(good)
            for _ in range(rng.randint(1, 4)):
                chars[rng.randrange(len(chars))] = rng.choice(alphabet)
            s = "".join(chars)
        else:
            s = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))  # type: ignore[assignment]
        try:
            v.verify(s, now=NOW)
        except hfjwt.TokenError as e:
            assert e.kind in hfjwt.ERRORS


def run_cli(*args: str, env_key: str | None = KEY, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HFJWT_KEY"}
    if env_key is not None:
        env["HFJWT_KEY"] = env_key
    return subprocess.run(
        [sys.executable, "-m", "hfjwt", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=60,
    )


def test_cli_mint_url_verify() -> None:
    assert run_cli("--help").returncode == 0
    minted = run_cli("mint", "--email", "jo@acme.com", "--name", "José")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    ok = run_cli("verify", stdin=token + "\n")
    assert ok.returncode == 0 and '"name": "José"' in ok.stdout
    bad = run_cli("verify", token, "--allow-domain", "other.com")
    assert bad.returncode == 1 and bad.stderr.startswith("error: domain_not_allowed:")
    url = run_cli("url", "--mint", "--email", "jo@acme.com", "--account", "acme", "--return-to", "kb")
    assert url.stdout.startswith("https://acme.happyfox.com/jwt/?token=ey")
    assert url.stdout.endswith("&return_to=%2Fkb\n")
    assert run_cli("mint", "--email", "a@b.co", env_key=None).returncode == 2
    kinds = run_cli("kinds", env_key=None)
    assert kinds.returncode == 0 and "replay_cache_full\tReplayCacheFull" in kinds.stdout


def test_cli_key_file(tmp_path: "os.PathLike[str]") -> None:
    path = os.path.join(tmp_path, "key")
    with open(path, "w") as f:
        f.write(KEY + "\n")
    minted = run_cli("--key-file", path, "mint", "--email", "jo@acme.com", env_key=None)
    assert minted.returncode == 0
    assert hfjwt.decode(minted.stdout.strip(), KEY)["email"] == "jo@acme.com"
    weak = run_cli("mint", "--email", "jo@acme.com", env_key="short")
    # The key is configuration: exit 2, as hfjwt-sim.
    assert weak.returncode == 2 and weak.stderr.startswith("error: weak_key:")


TOKEN = craft(grant())
NOT_A_JWS = "not a compact JWS: expected three base64url segments separated by dots"


def test_cli_url_takes_a_token_as_hfjwt_sim_does() -> None:
    # Same defaults as `hfjwt-sim url`: return_to home, the token as given.
    out = run_cli("url", "--account", "acme", TOKEN, env_key=None)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"https://acme.happyfox.com/jwt/?token={TOKEN}&return_to=%2Fhome\n"
    local = run_cli("url", "--origin", "http://127.0.0.1:8080", "--return-to", "tickets", TOKEN)
    assert local.stdout == f"http://127.0.0.1:8080/jwt/?token={TOKEN}&return_to=%2Ftickets\n"


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_cli_url_reads_the_token_from_stdin_for_dash(ending: str) -> None:
    out = run_cli("url", "--domain", "support.acme.com", "-", stdin=TOKEN + ending)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"https://support.acme.com/jwt/?token={TOKEN}&return_to=%2Fhome\n"
    minted = run_cli("mint", "--email", "jo@acme.com").stdout
    piped = run_cli("url", "--account", "acme", "-", stdin=minted)
    assert piped.returncode == 0 and minted.strip() in piped.stdout


@pytest.mark.parametrize(
    "text",
    ["t", "a.b", "a.b.c.d", "a..c", "a.b.c=", "a+b.c.d", " a.b.c", KEY,
     "https://acme.happyfox.com/jwt/?token=a.b.c"],
)
def test_cli_url_refuses_text_that_is_not_a_compact_jws(text: str) -> None:
    out = run_cli("url", "--account", "acme", text)
    assert (out.returncode, out.stdout) == (2, "")
    assert out.stderr == f"python -m hfjwt: error: TOKEN is {NOT_A_JWS} (header.payload.signature)\n"
    piped = run_cli("url", "--account", "acme", "-", stdin=text + "\n")
    assert piped.returncode == 2
    assert piped.stderr.startswith(f"python -m hfjwt: error: the text on standard input is {NOT_A_JWS}")


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "give a TOKEN"),
        (["--email", "a@b.co", "a.b.c"], "--email only with --mint"),
        (["--mint"], "--mint needs --email"),
        (["--mint", "--email", "a@b.co", "a.b.c"], "a TOKEN or --mint, not both"),
    ],
)
def test_cli_url_token_or_mint(args: list[str], message: str) -> None:
    out = run_cli("url", "--account", "acme", *args)
    assert out.returncode == 2 and message in out.stderr


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_cli_verify_reads_one_line_of_stdin_for_dash(ending: str) -> None:
    token = hfjwt.mint(KEY, email="jo@acme.com")
    ok = run_cli("verify", stdin=token + ending)
    assert ok.returncode == 0, ok.stderr
    # Anything else is the core's to judge: a refused token, exit 1.
    for text, kind in ((token + " \n", "malformed"), (token + "\n\n", "malformed"),
                       ("é" * 5000, "too_large")):
        bad = run_cli("verify", stdin=text)
        assert bad.returncode == 1 and bad.stderr.startswith(f"error: {kind}:"), bad.stderr


def test_origin_alone_targets_a_local_stand_in() -> None:
    origin = "http://127.0.0.1:8080"
    url = hfjwt.sign_in_url(KEY, email="jo@acme.com", origin=origin)
    assert url.startswith(origin + "/jwt/?token=ey") and url.endswith("&return_to=%2Fhome")
    assert hfjwt.login_url("a.b.c", origin=origin) == origin + "/jwt/?token=a.b.c&return_to=%2Fhome"
    assert hfjwt.logout_url(origin=origin) == origin + "/logout"


def test_signatures_show_the_return_to_default() -> None:
    import inspect

    for f in (hfjwt.login_url, hfjwt.sign_in_url):
        param = inspect.signature(f).parameters["return_to"]
        assert param.default == "home", f
        assert param.kind is inspect.Parameter.KEYWORD_ONLY
    assert "return_to='home'" in (hfjwt.login_url.__text_signature__ or "")


def test_namespace_has_no_future_import_leak() -> None:
    assert "annotations" not in dir(hfjwt)
    assert [name for name in dir(hfjwt) if not name.startswith("_") and name not in hfjwt.__all__] == []


def test_claims_marks_iat_and_jti_as_always_present() -> None:
    assert hfjwt.Claims.__required_keys__ == frozenset({"iat", "jti"})
    assert hfjwt.Claims.__optional_keys__ == frozenset({"name", "email", "exp", "nbf", "aud"})
    # email is absent when not required, so it cannot be typed as always present.
    claims = hfjwt.Verifier(KEY, require_email=False).verify(craft({"iat": NOW, "jti": "j"}), now=NOW)
    assert claims == {"iat": NOW, "jti": "j"}


def test_typing_usage_runs() -> None:
    import typing_usage

    typing_usage.main()
    assert typing_usage.pyjwt_style(int(__import__("time").time()))["email"] == "jo@acme.com"
