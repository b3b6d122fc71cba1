"""``python -m hfjwt``: mint HappyFox tokens and login URLs, or verify a token.

The key comes from ``$HFJWT_KEY`` or ``--key-file PATH`` (surrounding whitespace stripped),
never from the command line, where other users could read it in the process list.
Exit status: 0 success, 1 token refused (``error: <kind>: <message>`` on stderr),
2 usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Optional, Sequence

import hfjwt

KEY_ENV = "HFJWT_KEY"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m hfjwt",
        description="HappyFox JWT single sign-on: mint tokens and login URLs, verify tokens.",
        epilog=f"The key is read from ${KEY_ENV} or --key-file, never from the command line. "
        "Errors print 'error: <kind>: <message>' and exit 1.",
    )
    p.add_argument("--version", action="version", version=f"hfjwt {hfjwt.__version__}")
    p.add_argument(
        "--key-file",
        metavar="PATH",
        help=f"file holding the JWT app key (default: ${KEY_ENV})",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    mint = sub.add_parser("mint", help="print a fresh token")
    url = sub.add_parser("url", help="print a sign-in URL (a fresh token in a login URL)")
    for s in (mint, url):
        s.add_argument("--email", required=True)
        s.add_argument("--name")
        s.add_argument("--iat", type=int, help="issued-at, unix seconds (default: now)")
        s.add_argument("--jti", help="token id (default: a random UUID)")
    mint.add_argument("--aud", help="bind the token to one audience (e.g. a kiosk's device id)")
    site = url.add_mutually_exclusive_group(required=True)
    site.add_argument("--account", help="HappyFox account: https://ACCOUNT.happyfox.com")
    site.add_argument("--domain", help="the support center's custom domain")
    site.add_argument("--origin", help="explicit origin, e.g. http://127.0.0.1:8080")
    url.add_argument(
        "--return-to",
        default="home",
        help="home, tickets, kb or a /path (default: home)",
    )

    verify = sub.add_parser(
        "verify", help="verify a token; print its claims as JSON"
    )
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

    sub.add_parser("kinds", help="list the error kinds")
    return p


def _key(args: argparse.Namespace, parser: argparse.ArgumentParser) -> bytes:
    if args.key_file:
        try:
            with open(args.key_file, "rb") as f:
                return f.read().strip()
        except OSError as e:
            parser.error(f"cannot read --key-file: {e.strerror}")
    env = os.environ.get(KEY_ENV)
    if env is None:
        parser.error(f"no key: set ${KEY_ENV} or pass --key-file PATH")
    # surrogateescape gives back the environment's original bytes.
    return os.fsencode(env).strip()


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "kinds":
        for kind, cls in hfjwt.ERRORS.items():
            print(f"{kind}\t{cls.__name__}")
        return 0
    key = _key(args, parser)
    try:
        if args.command == "mint":
            print(
                hfjwt.mint(
                    key,
                    email=args.email,
                    name=args.name,
                    iat=args.iat,
                    jti=args.jti,
                    aud=args.aud,
                )
            )
        elif args.command == "url":
            print(
                hfjwt.sign_in_url(
                    key,
                    email=args.email,
                    name=args.name,
                    iat=args.iat,
                    jti=args.jti,
                    account=args.account,
                    domain=args.domain,
                    origin=args.origin,
                    return_to=args.return_to,
                )
            )
        else:
            token = sys.stdin.readline().strip() if args.token == "-" else args.token
            verifier = hfjwt.Verifier(
                key,
                max_age=args.max_age,
                leeway=args.leeway,
                allowed_domains=args.allow_domain,
                audience=args.audience,
                ignore_audience=args.ignore_audience,
                replay_store=args.replay_store,
            )
            print(json.dumps(verifier.verify(token, now=args.now), ensure_ascii=False))
    except hfjwt.TokenError as e:
        print(f"error: {e.kind}: {e}", file=sys.stderr)
        return 1
    except ValueError as e:  # a configuration mistake, e.g. a bad --replay-store URL
        parser.error(str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
