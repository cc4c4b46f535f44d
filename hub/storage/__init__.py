"""Object storage: one async ``ObjectStore`` API over S3/MinIO (production) or a folder (embedded).

Use :func:`build_object_store` to get the store the settings ask for.
"""

from __future__ import annotations

from hub.errors import ConfigurationError
from hub.settings import Settings

from .base import (
    PRESIGN_MAX_TTL,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStream,
    PresignUnsupported,
    RangeNotSatisfiable,
    StorageUnavailable,
    validate_key,
)
from .filesystem import FilesystemObjectStore
from .s3 import S3ObjectStore

__all__ = [
    "PRESIGN_MAX_TTL",
    "FilesystemObjectStore",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectStream",
    "PresignUnsupported",
    "RangeNotSatisfiable",
    "S3ObjectStore",
    "StorageUnavailable",
    "build_object_store",
    "validate_key",
]


def build_object_store(settings: Settings) -> ObjectStore:
    """S3 when ``HUB_S3_ENDPOINT`` is set, else the folder ``<data_dir>/objects``.

    Builds the client only; call ``ensure_bucket()`` / ``ping()`` at start-up to touch the network.
    """
    if not settings.uses_s3:
        return FilesystemObjectStore(settings.objects_dir)
    endpoint, access_key, secret_key = settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key
    if not endpoint or not access_key or not secret_key:
        raise ConfigurationError(
            "HUB_S3_ENDPOINT needs HUB_S3_ACCESS_KEY and HUB_S3_SECRET_KEY", code="S3_CREDENTIALS_MISSING"
        )
    return S3ObjectStore(
        endpoint,
        access_key,
        secret_key,
        settings.s3_bucket,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )
