"""``python -m hfjwt``: mint HappyFox tokens and login URLs, or verify a token.

The same conventions as ``hfjwt-sim`` (host-sim/README.md):

- The key comes from ``--key-file PATH`` (``-`` reads standard input) or ``--key-env VAR``
  (default: ``HFJWT_KEY``), never from the command line, where other users could read it in
  the process list. Both options go before or after the subcommand. One rule for every
  source: exactly one trailing ``\\n`` or ``\\r\\n`` is stripped; other leading or trailing
  whitespace, control characters or a UTF-8 byte order mark are refused with a message that
  says so; at most 4 KiB is read (a larger source is not a key); a key file that group or
  others may read gets a warning on stderr.
- ``url`` takes a TOKEN (``-`` reads one line of standard input), which must be a compact JWS,
  or ``--mint --email E``; ``--return-to`` defaults to ``home``. ``verify`` reads one line of
  standard input for ``-`` (its default) and leaves the rest to the core.

Exit status: 0 success, 1 token refused (``error: <kind>: <message>`` on stderr),
2 usage or configuration error (``python -m hfjwt: error: <message>``).
"""

import argparse
import json
import os
import re
import stat
import sys
from typing import IO, Optional, Sequence, Union

import hfjwt
from hfjwt import _hfjwt

PROG = "python -m hfjwt"
#: The key variable read when neither --key-file nor --key-env is given.
KEY_ENV = "HFJWT_KEY"
#: The most bytes read from a key source, final newline included (as hfjwt-sim).
MAX_KEY_SOURCE_LEN = 4096
#: The most bytes read from standard input for a TOKEN of ``-`` (as hfjwt-sim).
MAX_STDIN_TOKEN_LEN = 8192
STDIN_TEXT = "the text on standard input"
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class UsageError(Exception):
    """A mistake in how the command was called or configured: exit 2 with its message."""


def _add_key_options(p: argparse.ArgumentParser, default: Optional[str]) -> None:
    """``--key-file``/``--key-env`` on the main parser (default None) and on each subcommand
    (default SUPPRESS, so a subcommand's absent option does not hide the main parser's)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--key-file",
        metavar="PATH",
        default=default,
        help="file holding the JWT app key; - reads standard input. One final newline is "
        "stripped; other whitespace, control characters or a BOM are refused",
    )
    group.add_argument(
        "--key-env",
        metavar="VAR",
        default=default,
        help=f"environment variable holding the key, same rule (default: {KEY_ENV})",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="HappyFox JWT single sign-on: mint tokens and login URLs, verify tokens.",
        epilog=f"The key is read from --key-file PATH or --key-env VAR (default ${KEY_ENV}), "
        "never from the command line. Exit 0 ok, 1 refused ('error: <kind>: <message>'), "
        "2 usage or configuration error.",
    )
    p.add_argument("--version", action="version", version=f"hfjwt {hfjwt.__version__}")
    _add_key_options(p, None)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    mint = sub.add_parser("mint", help="print a fresh token")
    mint.add_argument("--email", required=True)
    mint.add_argument("--name")
    mint.add_argument("--iat", type=int, help="issued-at, unix seconds (default: now)")
    mint.add_argument("--jti", help="token id (default: a random UUID)")
    mint.add_argument("--aud", help="bind the token to one audience (e.g. a kiosk's device id)")
    _add_key_options(mint, argparse.SUPPRESS)

    url = sub.add_parser(
        "url",
        help="print the login URL for a token (given, or minted with --mint)",
        epilog="TOKEN must be a compact JWS (three base64url segments separated by dots); "
        "- reads it from standard input (one line).",
    )
    url.add_argument(
        "token",
        nargs="?",
        metavar="TOKEN",
        help="the token to sign in with, - to read it from standard input (or use --mint)",
    )
    site = url.add_mutually_exclusive_group(required=True)
    site.add_argument("--account", help="HappyFox account: https://ACCOUNT.happyfox.com")
    site.add_argument("--domain", help="the support center's custom domain")
    site.add_argument("--origin", help="explicit origin, e.g. http://127.0.0.1:8080")
    url.add_argument(
        "--return-to",
        default="home",
        metavar="home|tickets|kb|/PATH",
        help="where to land after signing in (default: home)",
    )
    url.add_argument(
        "--mint", action="store_true", help="mint a fresh token (needs --email and a key)"
    )
    url.add_argument("--email", help="with --mint: the user's email address")
    url.add_argument("--name", help="with --mint: the user's display name")
    url.add_argument("--iat", type=int, help="with --mint: issued-at, unix seconds (default: now)")
    url.add_argument("--jti", help="with --mint: the token's id (default: a random UUID)")
    _add_key_options(url, argparse.SUPPRESS)

    verify = sub.add_parser("verify", help="verify a token; print its claims as JSON")
    verify.add_argument(
        "token", nargs="?", default="-", help="the token, or - to read it from stdin (default)"
    )
    verify.add_argument("--max-age", type=int, default=120, help="seconds (default: 120)")
    verify.add_argument("--leeway", type=int, default=0, help="seconds (default: 0)")
    verify.add_argument(
        "--allow-domain",
        action="append",
        metavar="DOMAIN",
        help="accept only emails in DOMAIN (repeatable; default: any)",
    )
    verify.add_argument("--now", type=int, help="unix seconds to judge at (default: now)")
    aud = verify.add_mutually_exclusive_group()
    aud.add_argument("--audience", help="accept only tokens whose aud names AUDIENCE")
    aud.add_argument(
        "--ignore-audience", action="store_true", help="do not judge aud (default: refuse it)"
    )
    verify.add_argument(
        "--replay-store",
        metavar="URL",
        help="remember jtis in Redis (redis://, rediss://, unix://) shared with other "
        "processes (default: this process only)",
    )
    _add_key_options(verify, argparse.SUPPRESS)

    sub.add_parser("kinds", help="list the error kinds")
    return p


def _key_sources(args: argparse.Namespace) -> None:
    """Refuses two key sources given on different levels (before and after the subcommand);
    argparse's groups only see one level each."""
    if args.key_file is not None and args.key_env is not None:
        raise UsageError("give --key-file or --key-env, not both")


def _read_key_file(path: str) -> tuple[str, bytes]:
    """At most MAX_KEY_SOURCE_LEN + 1 bytes of ``path`` (``-``: standard input), and how
    messages name it; warns when a regular file is readable by group or others."""
    if path == "-":
        return "the key on standard input", sys.stdin.buffer.read(MAX_KEY_SOURCE_LEN + 1)
    origin = f"key file {path}"
    try:
        with open(path, "rb") as f:
            _warn_if_shared(path, f)
            # BufferedReader.read(n) stops at n bytes: /dev/zero costs 4 KiB + 1, not forever.
            return origin, f.read(MAX_KEY_SOURCE_LEN + 1)
    except OSError as e:
        raise UsageError(f"cannot read key file {path}: {e.strerror}") from None


def _warn_if_shared(path: str, f: IO[bytes]) -> None:
    st = os.fstat(f.fileno())
    mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISREG(st.st_mode) and mode & 0o044:
        print(
            f"{PROG}: warning: key file {path} is readable by group or others "
            f"(mode {mode:03o}); chmod 600 it",
            file=sys.stderr,
        )


def _key(args: argparse.Namespace) -> bytes:
    """The key's bytes, by the one rule for every source (see the module docs)."""
    if args.key_file is not None:
        origin, source = _read_key_file(args.key_file)
    else:
        var = args.key_env if args.key_env is not None else KEY_ENV
        value = os.environ.get(var)
        if value is None:
            if args.key_env is not None:
                raise UsageError(f"environment variable {var} is not set")
            raise UsageError(
                f"a key is needed: pass --key-file PATH or --key-env VAR (${KEY_ENV} is not set)"
            )
        # surrogateescape gives back the environment's original bytes.
        origin, source = f"environment variable {var}", os.fsencode(value)
    try:
        # The native module holds the rule, shared with the API's str keys; the result is
        # the key's bytes, which the API then takes as given.
        return _hfjwt.key_text(source, origin)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _stdin_line() -> bytes:
    """Standard input up to MAX_STDIN_TOKEN_LEN + 1 bytes, with one trailing ``\\n`` or
    ``\\r\\n`` stripped: the one-line token of a ``-`` argument."""
    data = sys.stdin.buffer.read(MAX_STDIN_TOKEN_LEN + 1)
    for ending in (b"\r\n", b"\n"):
        if data.endswith(ending):
            return data[: -len(ending)]
    return data


def _stdin_token() -> str:
    """The token for ``url -``: an over-long or non-UTF-8 input is a usage error."""
    data = _stdin_line()
    if len(data) > MAX_STDIN_TOKEN_LEN:
        raise UsageError(
            f"the token on standard input is longer than {MAX_STDIN_TOKEN_LEN} bytes"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(_not_a_jws(STDIN_TEXT)) from None


def _compact_jws(text: str, what: str) -> str:
    """``text`` if it has the shape of a compact JWS (three non-empty base64url segments):
    a key, a file name or a whole URL is never wrapped into a login link. Whether it is a
    good token is for the support center to judge."""
    if _COMPACT_JWS.fullmatch(text) is None:
        raise UsageError(_not_a_jws(what))
    return text


def _not_a_jws(what: str) -> str:
    return (
        f"{what} is not a compact JWS: expected three base64url segments separated by dots "
        "(header.payload.signature)"
    )


def _url_token(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    minting = [o for o, v in (("--email", args.email), ("--name", args.name),
                              ("--iat", args.iat), ("--jti", args.jti)) if v is not None]
    if args.mint:
        if args.token is not None:
            parser.error("url: give a TOKEN or --mint, not both")
        if args.email is None:
            parser.error("url: --mint needs --email")
        return hfjwt.mint(_key(args), email=args.email, name=args.name, iat=args.iat, jti=args.jti)
    if minting:
        parser.error(f"url: {', '.join(minting)} only with --mint")
    if args.token is None:
        parser.error("url: give a TOKEN (- reads standard input) or --mint --email E")
    if args.token == "-":
        return _compact_jws(_stdin_token(), STDIN_TEXT)
    return _compact_jws(args.token, "TOKEN")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "kinds":
        for kind, cls in hfjwt.ERRORS.items():
            print(f"{kind}\t{cls.__name__}")
        return 0
    try:
        _key_sources(args)
        if args.command == "mint":
            key = _key(args)
            print(
                hfjwt.mint(
                    key, email=args.email, name=args.name, iat=args.iat, jti=args.jti, aud=args.aud
                )
            )
        elif args.command == "url":
            token = _url_token(args, parser)
            print(
                hfjwt.login_url(
                    token,
                    account=args.account,
                    domain=args.domain,
                    origin=args.origin,
                    return_to=args.return_to,
                )
            )
        else:
            if args.token == "-" and args.key_file == "-":
                raise UsageError(
                    "the key and the token cannot both come from standard input: "
                    "give the token as an argument"
                )
            key = _key(args)
            # The bytes as read: whatever they hold is the core's to judge (malformed,
            # too_large), exit 1 like any refused token.
            given: Union[str, bytes] = _stdin_line() if args.token == "-" else args.token
            verifier = hfjwt.Verifier(
                key,
                max_age=args.max_age,
                leeway=args.leeway,
                allowed_domains=args.allow_domain,
                audience=args.audience,
                ignore_audience=args.ignore_audience,
                replay_store=args.replay_store,
            )
            print(json.dumps(verifier.verify(given, now=args.now), ensure_ascii=False))
    except hfjwt.TokenError as e:
        print(f"error: {e.kind}: {e}", file=sys.stderr)
        # A weak key is the configuration's fault, not a token's: exit 2, as hfjwt-sim.
        return 2 if isinstance(e, hfjwt.WeakKey) else 1
    except UsageError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # a configuration mistake, e.g. a bad --replay-store URL
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
