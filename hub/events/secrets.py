"""Webhook signing secrets: made, encrypted at rest, and used to sign (Standard Webhooks v1).

A secret is ``whsec_`` + base64 of 32 random bytes, shown to the caller once. The database holds only
a Fernet token of it, under a key derived (HKDF-SHA256) from the Hub's signing key, so a copy of the
database alone cannot sign webhooks. Rotating the signing key makes stored secrets unreadable: their
endpoints must then be registered again (the same holds for tokens the old key signed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hub.auth.keys import SigningKeys
from hub.errors import ConfigurationError

PREFIX = "whsec_"
SECRET_BYTES = 32  # Standard Webhooks: 24 to 64 bytes
# Names what the derived key is for: the same signing key derives unrelated keys for other uses.
_HKDF_INFO = b"cbp-hub webhook secrets v1"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key: the base64-decoded part after ``whsec_`` (Standard Webhooks, "Signature scheme")."""
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        return base64.b64decode(secret[len(PREFIX):], validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret is whsec_ + base64") from exc


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,`` + base64(HMAC-SHA256(key, "id.timestamp.body"))."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class SecretBox:
    """Encrypts and decrypts endpoint secrets with a key derived from the Hub's signing key."""

    def __init__(self, keys: SigningKeys) -> None:
        d = keys.private.as_dict(private=True)["d"]
        material = base64.urlsafe_b64decode(str(d) + "=" * (-len(str(d)) % 4))
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(material)
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            # Only a changed signing key (or an edited row) gets here: say so instead of failing silently.
            raise ConfigurationError("a webhook secret cannot be decrypted with this Hub's signing key",
                                     code="WEBHOOK_SECRET_UNREADABLE") from exc
