"""Shared fixtures: a key, a fixed clock, and a way to build tokens byte by byte."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Optional, Union

import pytest

KEY = "0123456789abcdefghijklmnopqrstuv"  # 32 characters, like HappyFox's keys
OTHER_KEY = "vutsrqponmlkjihgfedcba9876543210"
NOW = 1_700_000_000
HS256_HEADER = {"alg": "HS256", "typ": "JWT"}


def b64(data: bytes) -> str:
    """Unpadded base64url, as JWS uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def craft(
    claims: Union[dict[str, Any], bytes],
    header: Union[dict[str, Any], bytes] = HS256_HEADER,
    key: Union[str, bytes] = KEY,
) -> str:
    """A token with exactly these header and claims bytes, HMAC-SHA256 signed with `key`.

    Tests build bad tokens with this so every refusal is of a token made on purpose.
    """
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    c = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    signing_input = f"{b64(h)}.{b64(c)}"
    k = key.encode() if isinstance(key, str) else key
    sig = hmac.new(k, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


def grant(
    iat: int = NOW, jti: str = "jti-1", email: str = "jo@acme.com", name: Optional[str] = None
) -> dict[str, Any]:
    """HappyFox's claims as a dict."""
    claims: dict[str, Any] = {"email": email, "iat": iat, "jti": jti}
    if name is not None:
        claims["name"] = name
    return claims


@pytest.fixture
def now() -> int:
    """The wall clock, for tests that go through PyJWT (which reads it itself)."""
    return int(time.time())
