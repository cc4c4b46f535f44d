"""Short-lived file URLs (images, guides) bound to one principal and one variant (DESIGN.md "Images and documents").

A URL carries an HMAC-signed capability: client id, image id, variant and expiry (at most 5 minutes).
It is not enough on its own: the fetch must also present a bearer token of the same client, and the
policy is asked again at fetch time, since time may have moved the detention to another stage.
HMAC, not a JWT signature: a page of 100 detentions mints hundreds of URLs, at ~1 us each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from hub.auth.keys import SigningKeys
from hub.errors import Forbidden

MAX_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class FileGrant:
    client_id: str
    object_id: str
    variant: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FileUrlSigner:
    def __init__(self, keys: SigningKeys, base_url: str, ttl: timedelta = MAX_TTL) -> None:
        if ttl > MAX_TTL:
            raise ValueError("file URLs live at most 5 minutes")
        # A key of its own, derived from the signing key, so no image URL can be replayed as anything else.
        secret = str(keys.private.as_dict(private=True)["d"]).encode()
        self._key = hashlib.sha256(b"hub file url v1\0" + secret).digest()
        self._base = base_url.rstrip("/")
        self.ttl = ttl

    def url(self, client_id: str, object_id: str, variant: str, now: datetime) -> str:
        payload = _b64(json.dumps([client_id, object_id, variant, int((now + self.ttl).timestamp())],
                                  separators=(",", ":")).encode())
        return f"{self._base}/files/{payload}.{_b64(self._sign(payload))}"

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).digest()

    def verify(self, token: str, now: datetime) -> FileGrant:
        payload, _, signature = token.partition(".")
        try:
            ok = hmac.compare_digest(_unb64(signature), self._sign(payload))
            client_id, object_id, variant, exp = json.loads(_unb64(payload))
            expires_at = datetime.fromtimestamp(int(exp), now.tzinfo)
        except (ValueError, TypeError, OverflowError):
            raise Forbidden("malformed file URL", code="INVALID_FILE_URL") from None
        if not ok:
            raise Forbidden("file URL signature does not match", code="INVALID_FILE_URL")
        if now >= expires_at:
            raise Forbidden("file URL expired", code="FILE_URL_EXPIRED")
        return FileGrant(str(client_id), str(object_id), str(variant), expires_at)
