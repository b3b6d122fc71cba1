"""PyJWT-shaped ``encode`` and ``decode`` for the HS256 subset HappyFox uses.

A script that does ``import jwt; jwt.encode(payload, key)`` switches with
``import hfjwt as jwt``. Only argument handling lives here; every token rule is the core's
(through ``hfjwt._hfjwt.mint`` and ``hfjwt._hfjwt.decode_claims``).

Differences from PyJWT, on purpose:

- Only HS256. ``algorithm`` must be ``"HS256"`` and ``algorithms`` must include it, else
  ``UnsupportedAlgorithm``. Keys must be at least 32 bytes (``WeakKey``); PyJWT only warns.
- ``encode`` mints exactly HappyFox's claims: ``email`` (required), ``name``, ``iat`` (int,
  float or ``datetime``, as in PyJWT), ``jti`` (a ``str`` or a ``uuid.UUID``, written as its
  usual 36-character text), ``aud`` (one audience, a ``str``), and ``exp`` and ``nbf`` (as
  ``iat``: signed as given, and checked by every verifier). Missing ``iat`` is set to now and
  missing ``jti`` to a random UUID (HappyFox needs both). Any other claim is refused with a
  ``ValueError`` that lists their names, never dropped: the core mints only these claims,
  HappyFox reads only ``name``, ``email``,
  ``iat`` and ``jti`` (and limits a token to 120 s after ``iat`` by itself), and a claim
  silently left out would be a check the sender believes in and nobody makes. ``headers``
  may only repeat ``alg: HS256`` and ``typ: JWT``. The JSON keeps non-ASCII as UTF-8 (PyJWT
  writes ``\\u`` escapes); both decode to the same claims.
- ``decode`` enforces HappyFox's window: the token must carry ``iat`` and ``jti`` and be at
  most ``max_age`` (default 120) seconds old, plus ``leeway``; ``exp`` and ``nbf`` are checked
  when present. It returns only the claims hfjwt knows (``name``, ``email``, ``iat``, ``jti``,
  ``exp``, ``nbf``, ``aud``). ``audience`` works as in PyJWT: a token whose ``aud`` (a string
  or a list) names it, or any of a list of audiences, passes; a token without ``aud`` is
  ``MissingClaim``; with no ``audience``, a token that carries ``aud`` is ``WrongAudience``
  (PyJWT's ``InvalidAudienceError``, aliased), unless ``options={"verify_aud": False}``.
  An empty ``aud`` (``""`` or ``[]``) counts as none (as in PyJWT) and is not returned.
  ``issuer``/``subject`` are not supported (a ``ValueError`` if given). ``decode`` is
  stateless, so it does not refuse a replayed ``jti``: for sign-ins use ``hfjwt.Verifier``.
- ``decode`` is strict where PyJWT is lenient: padded or standard-alphabet base64, duplicate
  JSON keys and ``crit`` headers are refused.
- Errors are ``hfjwt.TokenError`` subclasses (``ValueError``), not ``jwt.PyJWTError``;
  ``hfjwt`` has aliases with PyJWT's names (``InvalidTokenError``, ``ExpiredSignatureError``…).
- ``options`` accepts ``require`` (names among ``iat``, ``jti``, ``email``, and ``aud`` with
  an ``audience``), ``verify_aud`` (``True`` or ``False``), ``strict_aud=False``, and the other
  ``verify_*`` switches hfjwt honours set to ``True`` (``verify_signature``, ``verify_exp``,
  ``verify_nbf``, ``verify_iat``, ``verify_iss``, ``verify_jti``); anything hfjwt cannot honour
  (``verify_exp=False``, ``strict_aud=True``, ``verify_sub``, unknown names) is a
  ``ValueError`` rather than silently ignored.
"""

from __future__ import annotations

import calendar
import datetime
import uuid
from typing import Any, Collection, Iterable, Mapping, Optional, Union

from hfjwt import _hfjwt

_MINTED_CLAIMS = frozenset({"name", "email", "iat", "jti", "aud", "exp", "nbf"})
# Claims the core always requires, plus email, which it requires on request (aud: with an
# audience, handled apart).
_REQUIRABLE = frozenset({"iat", "jti", "email"})
_ALLOWED_HEADERS = {"alg": "HS256", "typ": "JWT"}
# verify_iss: hfjwt takes no issuer, and PyJWT checks iss only against a given issuer.
# verify_jti: the core always requires a str jti.
_TRUE_ONLY_OPTIONS = frozenset(
    {"verify_signature", "verify_exp", "verify_nbf", "verify_iat", "verify_iss", "verify_jti"}
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
            f"hfjwt.encode signs only name, email, iat, jti, aud, exp and nbf, and never drops a claim: "
            f"remove {sorted(extra)} (HappyFox reads only name, email, iat and jti, and "
            "refuses a token 120 s after its iat by itself)"
        )
    if "email" not in payload:
        raise _hfjwt.MissingClaim("missing claim: email is required by HappyFox")
    aud = payload.get("aud")
    if aud is not None and not isinstance(aud, str):
        raise ValueError("hfjwt mints one audience: aud must be a str")
    return _hfjwt.mint(
        key,
        email=payload["email"],
        name=payload.get("name"),
        iat=_seconds(payload.get("iat")),
        jti=_jti(payload.get("jti")),
        aud=aud,
        exp=_seconds(payload.get("exp")),
        nbf=_seconds(payload.get("nbf")),
    )


def decode(
    jwt: Union[str, bytes],
    key: Union[str, bytes],
    algorithms: Optional[Collection[str]] = ("HS256",),
    options: Optional[Mapping[str, Any]] = None,
    leeway: Union[int, float, datetime.timedelta] = 0,
    *,
    audience: Optional[Union[str, Iterable[str]]] = None,
    issuer: Optional[Any] = None,
    subject: Optional[Any] = None,
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
    if issuer is not None or subject is not None:
        raise ValueError("hfjwt.decode does not check iss or sub: issuer= and subject= are unsupported")
    require_email = False
    verify_aud = True
    required: set[str] = set()
    for name, value in (options or {}).items():
        if name == "require":
            required = set(value)
            unknown = required - _REQUIRABLE - {"aud"}
            if unknown:
                raise ValueError(
                    f"hfjwt can require only iat, jti, email and aud, not {sorted(unknown)}"
                )
            require_email = "email" in required
        elif name == "verify_aud":
            if not isinstance(value, bool):
                raise ValueError("options['verify_aud'] must be True or False")
            verify_aud = value
        elif name == "strict_aud":
            if value is not False:
                raise ValueError("hfjwt.decode does not support options['strict_aud']=True")
        elif name in _TRUE_ONLY_OPTIONS:
            if value is not True:
                raise ValueError(f"hfjwt always verifies; options[{name!r}] must be True")
        else:
            raise ValueError(f"hfjwt.decode does not support options[{name!r}]")
    if "aud" in required and (audience is None or not verify_aud):
        # The core requires aud exactly when it checks it against an audience.
        raise ValueError("options['require'] may list 'aud' only with audience= and verify_aud")
    if isinstance(leeway, datetime.timedelta):
        leeway = leeway.total_seconds()
    return dict(
        _hfjwt.decode_claims(
            jwt,
            key,
            max_age=max_age,
            leeway=_whole_seconds(leeway, "leeway"),
            require_email=require_email,
            audience=audience,
            verify_aud=verify_aud,
        )
    )


def _seconds(value: Any) -> Any:
    """PyJWT accepts datetimes for NumericDate claims; the core takes unix seconds."""
    if isinstance(value, datetime.datetime):
        return calendar.timegm(value.utctimetuple())
    return value


def _jti(value: Any) -> Any:
    """A ``uuid.UUID`` jti (``jti=uuid.uuid4()``) as its usual text, as HappyFox expects."""
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _whole_seconds(value: Union[int, float], what: str) -> int:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{what} must be a finite number of seconds")
        return int(value)
    return value
