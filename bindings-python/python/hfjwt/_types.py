"""Types shared by the native module's stubs and the Python part of ``hfjwt``."""

from typing import TypedDict, Union


# Required keys in a total base class, optional ones in a total=False subclass: the way to
# mark them that works on every Python hfjwt supports (typing.Required/NotRequired are 3.11+
# and would need typing_extensions before that).
class _AlwaysPresent(TypedDict):
    iat: int
    jti: str


class Claims(_AlwaysPresent, total=False):
    """The claims of a verified token, as ``Verifier.verify`` and ``decode`` return them.

    ``iat`` and ``jti`` are always present (required keys). ``email`` is present whenever the
    verifier requires it (``Verifier``'s default; ``decode`` only with
    ``options={"require": ["email"]}``), so it is typed as optional; ``name``, ``exp``,
    ``nbf`` and ``aud`` (a str, or a list of str) are present when the token has them.
    Strings are unescaped (PyJWT's ``"Jos\\u00e9"`` is ``"José"``). Other claims are not
    returned.
    """

    name: str
    email: str
    exp: int
    nbf: int
    aud: Union[str, list[str]]
