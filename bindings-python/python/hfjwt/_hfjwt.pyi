"""Type stubs for the native module ``hfjwt._hfjwt`` (Rust, PyO3). Use it through ``hfjwt``."""

from typing import Final, Iterable, Optional, Union

from hfjwt._types import Claims as Claims

Key = Union[str, bytes, bytearray]
"""A key: its text (UTF-8 bytes are used; one final newline stripped, other surrounding
whitespace, control characters or a BOM refused with ``ConfigError``) or raw bytes (used as
given); at least 32 bytes."""
Token = Union[str, bytes]
Seconds = Union[int, float]
"""Unix seconds; floats are floored."""

__version__: Final[str]
MIN_KEY_LEN: Final[int]

class TokenError(ValueError):
    """A token, key or URL part refused by hfjwt; ``kind`` is the core's snake_case name."""

    kind: str

class ConfigError(ValueError):
    """A configuration value refused by hfjwt (an account, domain or origin, a ``return_to``,
    an audience, a ``str`` key that breaks the key rule); not a ``TokenError``: no token was
    judged. ``kind`` is ``"invalid_config"``."""

    kind: str

class TokenTooLarge(TokenError):
    """The token is longer than the verifier's limit (kind ``too_large``)."""

class MalformedToken(TokenError):
    """Not a compact JWS: segments, strict base64url, JSON (kind ``malformed``)."""

class UnsupportedAlgorithm(TokenError):
    """``alg`` is missing or not exactly ``HS256`` (kind ``unsupported_algorithm``)."""

class BadSignature(TokenError):
    """The HMAC-SHA256 signature does not match (kind ``bad_signature``)."""

class MissingClaim(TokenError):
    """A required claim is absent (kind ``missing_claim``)."""

class InvalidClaim(TokenError):
    """A claim has the wrong type or value, or appears twice (kind ``invalid_claim``)."""

class ExpiredToken(TokenError):
    """Older than ``max_age`` plus leeway, or past ``exp`` (kind ``expired``)."""

class IssuedInFuture(TokenError):
    """``iat`` or ``nbf`` is later than now plus leeway (kind ``issued_in_future``)."""

class ReplayedToken(TokenError):
    """The ``jti`` was already accepted, or predates the verifier's memory (kind ``replayed``)."""

class ReplayCacheFull(TokenError):
    """Every replay cache entry is still live; refused, not evicted (kind ``replay_cache_full``)."""

class DomainNotAllowed(TokenError):
    """The email's domain is not on the allow-list (kind ``domain_not_allowed``)."""

class WeakKey(TokenError):
    """The key is shorter than 32 bytes (kind ``weak_key``)."""

class BufferTooSmall(TokenError):
    """The output (a login URL over 16 KiB) is too long (kind ``buffer_too_small``)."""

class WrongAudience(TokenError):
    """``aud`` does not name the verifier's audience, or names one while it has none
    (kind ``wrong_audience``)."""

class ReplayStoreUnavailable(TokenError):
    """The shared replay store (Redis) did not answer in time; the token was refused, not
    recorded (kind ``replay_store_unavailable``)."""

def mint(
    key: Key,
    *,
    email: str,
    name: Optional[str] = None,
    iat: Optional[Seconds] = None,
    jti: Optional[str] = None,
    aud: Optional[str] = None,
    exp: Optional[Seconds] = None,
    nbf: Optional[Seconds] = None,
) -> str:
    """Mint a HappyFox token; ``iat`` defaults to now, ``jti`` to a fresh random UUID;
    ``aud`` binds it to one audience (e.g. a kiosk's device id); ``exp``/``nbf`` (unix
    seconds) are signed as given and checked by every verifier."""

def login_url(
    token: str,
    *,
    account: Optional[str] = None,
    domain: Optional[str] = None,
    origin: Optional[str] = None,
    return_to: Optional[str] = "home",
) -> str:
    """The support center URL that signs the token's user in (one of account/domain/origin;
    ``origin="http://127.0.0.1:8080"`` alone targets a local ``hfjwt-sim serve``)."""

def sign_in_url(
    key: Key,
    *,
    email: str,
    name: Optional[str] = None,
    account: Optional[str] = None,
    domain: Optional[str] = None,
    origin: Optional[str] = None,
    return_to: Optional[str] = "home",
    iat: Optional[Seconds] = None,
    jti: Optional[str] = None,
) -> str:
    """``mint`` then ``login_url``: the URL to redirect a signed-in portal user to."""

def logout_url(
    *,
    account: Optional[str] = None,
    domain: Optional[str] = None,
    origin: Optional[str] = None,
) -> str:
    """The support center's logout URL, ``<site>/logout``."""

def decode_claims(
    token: Token,
    key: Key,
    *,
    max_age: Optional[int] = None,
    leeway: Optional[int] = None,
    now: Optional[Seconds] = None,
    require_email: bool = True,
    audience: Optional[Union[str, Iterable[str]]] = None,
    verify_aud: bool = True,
) -> Claims:
    """Every check of ``Verifier.verify`` except replay; records nothing."""

def key_text(source: bytes, origin: str) -> bytes:
    """The key in a key file's or variable's bytes (the ``str`` key rule); ``ConfigError``
    naming ``origin`` otherwise. Used by ``python -m hfjwt``."""

class Verifier:
    """Verifies tokens and accepts each ``jti`` once; safe to share between threads."""

    def __init__(
        self,
        key: Key,
        *,
        max_age: int = 120,
        leeway: int = 0,
        allowed_domains: Optional[Iterable[str]] = None,
        replay_capacity: int = 1024,
        max_token_len: int = 4096,
        require_email: bool = True,
        audience: Optional[str] = None,
        ignore_audience: bool = False,
        replay_store: Optional[str] = None,
        replay_prefix: Optional[str] = None,
        replay_timeout: Optional[float] = None,
    ) -> None:
        """``replay_store``: None (in-memory) or ``redis://``, ``rediss://``, ``unix://`` URL
        shared by every process; ``replay_prefix`` defaults to ``"hfjwt:"``,
        ``replay_timeout`` to 0.2 s."""
    def verify(self, token: Token, *, now: Optional[Seconds] = None) -> Claims:
        """Verify ``token`` at ``now`` (default: the clock), record its ``jti``, return claims."""
    def remember_from(self, now: Optional[Seconds] = None) -> None:
        """Refuse, from now on, every token issued before ``now - leeway`` (memory horizon)."""
    def check_replay_store(self) -> None:
        """Raise ``ReplayStoreUnavailable`` unless the shared store answers (no-op in memory)."""
    @property
    def max_age(self) -> int: ...
    @property
    def leeway(self) -> int: ...
    @property
    def max_token_len(self) -> int: ...
    @property
    def allowed_domains(self) -> Optional[tuple[str, ...]]: ...
    @property
    def replay_capacity(self) -> int: ...
    @property
    def remembered(self) -> int: ...
    @property
    def audience(self) -> Optional[str]: ...
    @property
    def replay_prefix(self) -> Optional[str]: ...
