"""Types shared by the native module's stubs and the Python part of ``hfjwt``."""

from typing import TypedDict, Union


class Claims(TypedDict, total=False):
    """The claims of a verified token, as ``Verifier.verify`` returns them.

    ``email`` (unless the verifier was made with ``require_email=False``), ``iat`` and ``jti``
    are always present; ``name``, ``exp``, ``nbf`` and ``aud`` (a str, or a list of str) when
    the token has them. Strings are unescaped (PyJWT's ``"Jos\\u00e9"`` is ``"José"``).
    Other claims are not returned.
    """

    name: str
    email: str
    iat: int
    jti: str
    exp: int
    nbf: int
    aud: Union[str, list[str]]
