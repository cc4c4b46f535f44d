"""Client secrets: generated with the OS CSPRNG, shown once, stored only as a salted hash.

A client secret here is 256 random bits the Hub itself generates, never a person's password, so a
slow password hash (scrypt, ~50-90 ms here) buys no resistance to guessing (2**256 guesses are out of
reach at any speed) while it blocks the token endpoint. Secrets are stored as salted SHA-256; hashes
made earlier with scrypt still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "sha256"


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.sha256(salt + secret.encode()).digest()
    return f"{SCHEME}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    parts = stored.split("$")
    try:
        if parts[0] == SCHEME and len(parts) == 3:
            salt, expected = base64.b64decode(parts[1]), base64.b64decode(parts[2])
            return hmac.compare_digest(hashlib.sha256(salt + secret.encode()).digest(), expected)
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            digest = hashlib.scrypt(secret.encode(), salt=base64.b64decode(parts[4]), n=n, r=r, p=p, dklen=32)
            return hmac.compare_digest(digest, base64.b64decode(parts[5]))
    except (ValueError, TypeError):
        return False
    return False
