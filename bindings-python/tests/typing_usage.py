"""A small program using hfjwt's public API, type-checked with `mypy --strict` by
scripts/test.sh (not collected by pytest): it checks that the stubs describe the API a
portal uses, and that the types a caller gets back are precise enough to use."""

from __future__ import annotations

import hfjwt

KEY = "0123456789abcdefghijklmnopqrstuv"


def portal_redirect(email: str, name: str | None) -> str:
    return hfjwt.sign_in_url(KEY, account="acme", email=email, name=name, return_to="tickets")


def verify_once(verifier: hfjwt.Verifier, token: str | bytes) -> str | None:
    try:
        claims: hfjwt.Claims = verifier.verify(token, now=1_700_000_000)
    except hfjwt.ReplayedToken:
        return None
    except hfjwt.TokenError as e:
        kind: str = e.kind
        raise RuntimeError(f"refused: {kind}") from e
    email: str = claims["email"]
    iat: int = claims["iat"]
    return f"{email} at {iat} ({claims.get('name', '?')})"


def pyjwt_style(now: int) -> dict[str, object]:
    token: str = hfjwt.encode({"email": "jo@acme.com", "iat": now}, KEY, algorithm="HS256")
    url: str = hfjwt.login_url(token, domain="support.acme.com", return_to=None)
    assert url
    return hfjwt.decode(token, KEY, algorithms=["HS256"], options={"require": ["iat", "jti"]})


def main() -> None:
    verifier = hfjwt.Verifier(KEY, max_age=120, leeway=2, allowed_domains=["acme.com"])
    verifier.remember_from(0)
    token = hfjwt.mint(KEY, email="jo@acme.com", iat=1_700_000_000, jti="t")
    print(verify_once(verifier, token), verifier.remembered, verifier.allowed_domains)
    print(portal_redirect("jo@acme.com", None), hfjwt.logout_url(account="acme"))
    error_class: type[hfjwt.TokenError] = hfjwt.ERRORS["expired"]
    print(error_class.kind, hfjwt.__version__, hfjwt.MIN_KEY_LEN)


if __name__ == "__main__":
    main()
