"""PyJWT-shaped ``encode`` and ``decode`` for the HS256 subset HappyFox uses.

A script that does ``import jwt; jwt.encode(payload, key)`` switches with
``import hfjwt as jwt``. Only argument handling lives here; every token rule is the core's
(through ``hfjwt._hfjwt.mint`` and ``hfjwt._hfjwt.decode_claims``).

Differences from PyJWT, on purpose:

- Only HS256. ``algorithm`` must be ``"HS256"`` and ``algorithms`` must include it, else
  ``UnsupportedAlgorithm``. Keys must be at least 32 bytes (``WeakKey``); PyJWT only warns.
- ``encode`` mints exactly HappyFox's claims: ``email`` (required), ``name``, ``iat``, ``jti``.
  Missing ``iat`` is set to now and missing ``jti`` to a random UUID (HappyFox needs both);
  any other claim is a ``ValueError``. ``headers`` may only repeat ``alg: HS256`` and
  ``typ: JWT``. The JSON keeps non-ASCII as UTF-8 (PyJWT writes ``\\u`` escapes); both decode
  to the same claims.
- ``decode`` enforces HappyFox's window: the token must carry ``iat`` and ``jti`` and be at
  most ``max_age`` (default 120) seconds old, plus ``leeway``; ``exp`` and ``nbf`` are checked
  when present. It returns only the claims hfjwt knows (``name``, ``email``, ``iat``, ``jti``,
  ``exp``, ``nbf``); ``aud``/``iss`` are not checked. It is stateless, so it does not refuse a
  replayed ``jti``: for sign-ins use ``hfjwt.Verifier``.
- ``decode`` is strict where PyJWT is lenient: padded or standard-alphabet base64, duplicate
  JSON keys and ``crit`` headers are refused.
- Errors are ``hfjwt.TokenError`` subclasses (``ValueError``), not ``jwt.PyJWTError``;
  ``hfjwt`` has aliases with PyJWT's names (``InvalidTokenError``, ``ExpiredSignatureError``…).
- ``options`` accepts ``require`` (names among ``iat``, ``jti``, ``email``) and the
  ``verify_*`` switches set to ``True``; anything hfjwt cannot honour is a ``ValueError``
  rather than silently ignored.
"""

from __future__ import annotations

import calendar
import datetime
from typing import Any, Collection, Mapping, Optional, Union

from hfjwt import _hfjwt

_MINTED_CLAIMS = frozenset({"name", "email", "iat", "jti"})
# Claims the core always requires, plus email, which it requires on request.
_REQUIRABLE = frozenset({"iat", "jti", "email"})
_ALLOWED_HEADERS = {"alg": "HS256", "typ": "JWT"}
_TRUE_ONLY_OPTIONS = frozenset(
    {"verify_signature", "verify_exp", "verify_nbf", "verify_iat"}
)


def encode(
    payload: Mapping[str, Any],
    key: Union[str, bytes],
    algorithm: Optional[str] = "HS256",
    headers: Optional[Mapping[str, Any]] = None,
) -> str:
    """Mint an HS256 token from a PyJWT-style payload (HappyFox's claims only).

    >>> token = encode({"email": "jo@acme.com", "name": "José"}, "k" * 32)
    >>> token.count(".")
    2
    """
    if algorithm != "HS256":
        raise _hfjwt.UnsupportedAlgorithm(
            f"unsupported algorithm: hfjwt mints only HS256, not {algorithm!r}"
        )
    if headers:
        for name, value in headers.items():
            if _ALLOWED_HEADERS.get(name) != value:
                raise ValueError(
                    "hfjwt mints only the header {'alg': 'HS256', 'typ': 'JWT'}; "
                    f"cannot set {name!r}"
                )
    if not isinstance(payload, Mapping):
        raise TypeError(f"payload must be a dict, not {type(payload).__name__}")
    extra = set(payload) - _MINTED_CLAIMS
    if extra:
        raise ValueError(
            f"hfjwt mints only name, email, iat and jti; cannot encode {sorted(extra)}"
        )
    if "email" not in payload:
        raise _hfjwt.MissingClaim("missing claim: email is required by HappyFox")
    return _hfjwt.mint(
        key,
        email=payload["email"],
        name=payload.get("name"),
        iat=_seconds(payload.get("iat")),
        jti=payload.get("jti"),
    )


def decode(
    jwt: Union[str, bytes],
    key: Union[str, bytes],
    algorithms: Optional[Collection[str]] = ("HS256",),
    options: Optional[Mapping[str, Any]] = None,
    leeway: Union[int, float, datetime.timedelta] = 0,
    *,
    max_age: int = 120,
) -> dict[str, Any]:
    """Verify an HS256 token (HappyFox's 120 s window, no replay check) and return its claims.

    Raises a ``TokenError`` subclass naming the first check that failed.
    """
    if algorithms is None or "HS256" not in algorithms:
        raise _hfjwt.UnsupportedAlgorithm(
            "unsupported algorithm: hfjwt verifies only HS256, and algorithms= "
            "does not list it"
        )
    require_email = False
    for name, value in (options or {}).items():
        if name == "require":
            unknown = set(value) - _REQUIRABLE
            if unknown:
                raise ValueError(
                    f"hfjwt can require only iat, jti and email, not {sorted(unknown)}"
                )
            require_email = "email" in value
        elif name in _TRUE_ONLY_OPTIONS or name in ("verify_aud", "verify_iss"):
            if value is not True:
                raise ValueError(f"hfjwt always verifies; options[{name!r}] must be True")
        else:
            raise ValueError(f"hfjwt.decode does not support options[{name!r}]")
    if isinstance(leeway, datetime.timedelta):
        leeway = leeway.total_seconds()
    return dict(
        _hfjwt.decode_claims(
            jwt,
            key,
            max_age=max_age,
            leeway=_whole_seconds(leeway, "leeway"),
            require_email=require_email,
        )
    )


def _seconds(value: Any) -> Any:
    """PyJWT accepts datetimes for NumericDate claims; the core takes unix seconds."""
    if isinstance(value, datetime.datetime):
        return calendar.timegm(value.utctimetuple())
    return value


def _whole_seconds(value: Union[int, float], what: str) -> int:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{what} must be a finite number of seconds")
        return int(value)
    return value
