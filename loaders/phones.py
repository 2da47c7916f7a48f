"""Phone numbers in the graph: `phone` holds only the masked number (`138****5678`), `phone_sealed` the full
one sealed with AES-256-GCM under a key derived from ORGGRAPH_PID_KEY, so only the server (which holds that
key) can open it, and only for a role allowed to see full numbers (admin).

The seal is deterministic: the nonce is an HMAC of (pid, number) under a second derived key, so loading the
same ledger again writes the very same `phone_sealed` (an incremental load can tell a changed number from an
unchanged one by comparing the stored value), while two people with the same number get different values.
The pid is bound as associated data: a sealed value copied onto another person does not open.
"""

from __future__ import annotations

import base64
import hmac
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from orggraph.loaders.idcodes import mask_phone

__all__ = ["SEALED_PREFIX", "PhoneSeal", "phone_seal", "phone_props"]

SEALED_PREFIX = (
    "og1:"  # version of the format: og1 = AES-256-GCM, 96-bit HMAC nonce, base64url(nonce + ct + tag)
)
_NONCE = 12


def _derive(pid_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"orggraph", info=info).derive(pid_key)


class PhoneSeal:
    """Seals and opens phone numbers with keys derived (HKDF-SHA256) from the deployment's pid key."""

    def __init__(self, pid_key: bytes) -> None:
        self._aead = AESGCM(_derive(pid_key, b"orggraph phone seal v1"))
        self._nonce_key = _derive(pid_key, b"orggraph phone nonce v1")

    def seal(self, pid: str, phone: str) -> str:
        """The sealed form of `phone` for the person `pid`: the same inputs give the same value."""
        nonce = hmac.digest(self._nonce_key, f"{pid}\x00{phone}".encode(), "sha256")[:_NONCE]
        ct = self._aead.encrypt(nonce, phone.encode("utf-8"), pid.encode("utf-8"))
        return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + ct).decode("ascii").rstrip("=")

    def open(self, pid: str | None, sealed: object) -> str | None:
        """The number inside a sealed value, or None when it is not one, was sealed for another person or with
        another key (a changed ORGGRAPH_PID_KEY), or was tampered with."""
        if not isinstance(sealed, str) or not sealed.startswith(SEALED_PREFIX) or not isinstance(pid, str):
            return None
        body = sealed[len(SEALED_PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if len(raw) <= _NONCE:
                return None
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], pid.encode("utf-8")).decode("utf-8")
        except (InvalidTag, ValueError):
            return None


@lru_cache(maxsize=4)
def phone_seal(pid_key: bytes) -> PhoneSeal:
    """One sealer per key (deriving the keys costs more than sealing a number)."""
    return PhoneSeal(pid_key)


def phone_props(seal: PhoneSeal, pid: str, phone: str | None) -> dict[str, str | None]:
    """What a person's row stores about their phone: the masked number and the sealed one (both None
    without)."""
    if not phone:
        return {"phone": None, "phone_sealed": None}
    return {"phone": mask_phone(phone), "phone_sealed": seal.seal(pid, phone)}
