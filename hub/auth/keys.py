"""The Hub's token signing key: an ES256 (P-256) key made on first start and kept under the data dir."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, KeySet

ALGORITHM = "ES256"


@dataclass(frozen=True)
class SigningKeys:
    private: ECKey

    @property
    def kid(self) -> str:
        return str(self.private.kid)

    def public_jwks(self) -> dict[str, Any]:
        public = self.private.as_dict(private=False)
        public.update({"use": "sig", "alg": ALGORITHM})
        return {"keys": [public]}

    def private_jwks(self) -> dict[str, Any]:
        private = self.private.as_dict(private=True)
        private.update({"use": "sig", "alg": ALGORITHM})
        return {"keys": [private]}

    def public_key_set(self) -> KeySet:
        return KeySet.import_key_set(self.public_jwks())  # type: ignore[arg-type]


def load_or_create(path: Path) -> SigningKeys:
    """Read the key at ``path``; create it (mode 0600) on first start."""
    if path.exists():
        data = json.loads(path.read_text())
        return SigningKeys(ECKey.import_key(data))
    key = ECKey.generate_key("P-256", auto_kid=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(key.as_dict(private=True), fh)
    # Atomic: two Hub processes starting at once never read a half-written key.
    os.replace(tmp, path)
    return SigningKeys(key)
