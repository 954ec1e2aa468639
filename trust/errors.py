"""The trust layer's errors: keys that will not open, chains and heads that do not verify.

None of these is an expected refusal: each means a misconfiguration (a missing old secret
key) or tampering, so callers report it and stop. Messages never carry a secret.
"""

from __future__ import annotations


class TrustError(Exception):
    """Base of the trust layer's errors."""


class KeyUnavailable(TrustError):
    """No configured key opens a wrapped key or a sealed value."""


class ChainInvalid(TrustError):
    """A certificate does not chain to the root; `reason` says which check failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HeadInvalid(TrustError):
    """A signed tree head does not verify; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TrustStoreBroken(TrustError):
    """The stored keys and certificates are inconsistent (missing, mismatched, or altered)."""
