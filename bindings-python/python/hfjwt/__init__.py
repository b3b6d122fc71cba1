"""hfjwt — HappyFox JWT single sign-on, in Rust.

Mint the token and login URL a portal redirects a signed-in user to::

    import hfjwt

    url = hfjwt.sign_in_url(KEY, account="acme", email="jo@acme.com", name="Jo",
                            return_to="tickets")
    # https://acme.happyfox.com/jwt/?token=eyJ...&return_to=%2Ftickets

Verify tokens (signature in constant time, 120 s window, each ``jti`` once)::

    verifier = hfjwt.Verifier(KEY, allowed_domains=["acme.com"])  # share it between threads
    try:
        claims = verifier.verify(token)          # {"email": ..., "iat": ..., "jti": ...}
    except hfjwt.TokenError as e:
        print(e.kind)                            # "expired", "replayed", "bad_signature", ...

``KEY`` is the 32-character key from HappyFox's JWT app, as ``str`` or ``bytes``. A ``str``
is key text and follows ``hfjwt-sim``'s key-file rule: one final ``\\n`` or ``\\r\\n`` is
stripped (so ``open("key.txt").read()`` works), and other leading or trailing whitespace,
control characters or a byte order mark raise ``ConfigError``, since such a key signs tokens
HappyFox rejects. ``bytes`` are raw key material and are used as given.

A local HappyFox stand-in (``hfjwt-sim serve``) is one argument away: every URL function
takes ``origin=`` instead of ``account=``/``domain=``::

    hfjwt.sign_in_url(KEY, email="jo@acme.com", origin="http://127.0.0.1:8080")

Every refusal is a ``TokenError`` (a ``ValueError``) subclass whose ``kind`` is the core's
stable snake_case name; ``ERRORS`` maps each kind to its class. A configuration mistake (an
account, domain, origin, ``return_to``, audience or ``str`` key that cannot be right) is a
``ConfigError`` (a ``ValueError``, kind ``invalid_config``), not a ``TokenError``. ``encode``/``decode`` mirror
PyJWT's for the HS256 subset (see ``hfjwt._pyjwt`` for the differences), and PyJWT's
exception names are aliases of the matching classes.

The replay cache lives in the ``Verifier`` object: a new process starts with an empty one,
and other worker processes never see it. ``Verifier.remember_from()`` (off by default)
refuses every token issued before it was called, which closes the restart gap at the cost of
refusing tokens minted just before start-up. Several workers or machines share one memory
through Redis::

    verifier = hfjwt.Verifier(KEY, replay_store="redis://127.0.0.1:6379/0")

One ``SET NX`` per accepted token; if Redis cannot be reached within ``replay_timeout``
(0.2 s), tokens are refused with ``ReplayStoreUnavailable``, never accepted unrecorded.

A token bound to an audience (``mint(..., aud="kiosk-a")``) is accepted only by a verifier
made with ``audience="kiosk-a"``; a verifier without an audience refuses tokens that carry
``aud`` (``WrongAudience``, as PyJWT does) unless made with ``ignore_audience=True``.

``python -m hfjwt --help`` shows a small command line (mint, url, verify) with
``hfjwt-sim``'s conventions; it reads the key from ``--key-file PATH`` (``-``: stdin) or
``--key-env VAR`` (default ``$HFJWT_KEY``), never from the command line.
"""

# No `from __future__ import annotations` here: it would leave a module attribute named
# `annotations` in dir(hfjwt). The only annotation below is valid at run time on 3.9+.

from hfjwt._hfjwt import (
    MIN_KEY_LEN,
    BadSignature,
    BufferTooSmall,
    ConfigError,
    DomainNotAllowed,
    ExpiredToken,
    InvalidClaim,
    IssuedInFuture,
    MalformedToken,
    MissingClaim,
    ReplayCacheFull,
    ReplayedToken,
    ReplayStoreUnavailable,
    TokenError,
    TokenTooLarge,
    UnsupportedAlgorithm,
    Verifier,
    WeakKey,
    WrongAudience,
    __version__,
    login_url,
    logout_url,
    mint,
    sign_in_url,
)
from hfjwt._pyjwt import decode, encode
from hfjwt._types import Claims

#: Every error class by its kind, e.g. ``ERRORS["expired"] is ExpiredToken``.
ERRORS: dict[str, type[TokenError]] = {
    cls.kind: cls
    for cls in (
        TokenTooLarge,
        MalformedToken,
        UnsupportedAlgorithm,
        BadSignature,
        MissingClaim,
        InvalidClaim,
        ExpiredToken,
        IssuedInFuture,
        ReplayedToken,
        ReplayCacheFull,
        DomainNotAllowed,
        WeakKey,
        BufferTooSmall,
        WrongAudience,
        ReplayStoreUnavailable,
    )
}

# PyJWT's names, so `except jwt.ExpiredSignatureError` keeps working after
# `import hfjwt as jwt`. PyJWT's DecodeError also covers bad signatures; here it does not.
PyJWTError = TokenError
InvalidTokenError = TokenError
DecodeError = MalformedToken
InvalidSignatureError = BadSignature
ExpiredSignatureError = ExpiredToken
ImmatureSignatureError = IssuedInFuture
InvalidAlgorithmError = UnsupportedAlgorithm
MissingRequiredClaimError = MissingClaim
InvalidAudienceError = WrongAudience

__all__ = [
    "ERRORS",
    "MIN_KEY_LEN",
    "BadSignature",
    "BufferTooSmall",
    "Claims",
    "ConfigError",
    "DecodeError",
    "DomainNotAllowed",
    "ExpiredSignatureError",
    "ExpiredToken",
    "ImmatureSignatureError",
    "InvalidAlgorithmError",
    "InvalidAudienceError",
    "InvalidClaim",
    "InvalidSignatureError",
    "InvalidTokenError",
    "IssuedInFuture",
    "MalformedToken",
    "MissingClaim",
    "MissingRequiredClaimError",
    "PyJWTError",
    "ReplayCacheFull",
    "ReplayStoreUnavailable",
    "ReplayedToken",
    "TokenError",
    "TokenTooLarge",
    "UnsupportedAlgorithm",
    "Verifier",
    "WeakKey",
    "WrongAudience",
    "__version__",
    "decode",
    "encode",
    "login_url",
    "logout_url",
    "mint",
    "sign_in_url",
]
