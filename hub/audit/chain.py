"""The hash chain, pure: canonical form of an entry and its hash. No I/O, so it is the same on every backend.

hash(entry) = sha256(prev_hash + canonical(entry)), where canonical(entry) is the JSON of every chained
field (all columns but ``hash``) with sorted keys, no whitespace, ASCII only, and ``at`` as UTC ISO 8601
with microseconds. Changing anything here invalidates every stored chain: treat it as a file format.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime

GENESIS = "0" * 64

# Every column of disclosure_log except ``hash``. Listed explicitly (not read from the table) so that a
# new column is a deliberate decision about the chain, enforced by canonical() and a test.
CHAINED_FIELDS: tuple[str, ...] = (
    "seq",
    "at",
    "client_id",
    "organization_id",
    "object_type",
    "object_id",
    "item",
    "rule_ids",
    "policy_version",
    "channel",
    "request_id",
    "prev_hash",
)


def utc_iso(at: datetime) -> str:
    """``at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    A naive value is taken as UTC: SQLite hands timestamps back without an offset, and the Hub only
    stores UTC (record() rejects naive input), so both backends canonicalize to the same string.
    """
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(fields: Mapping[str, object]) -> str:
    keys = set(fields)
    expected = set(CHAINED_FIELDS)
    if keys != expected:
        missing, unexpected = sorted(expected - keys), sorted(keys - expected)
        raise ValueError(f"chained fields mismatch: missing {missing}, unexpected {unexpected}")
    out: dict[str, str | int | None] = {}
    for name in CHAINED_FIELDS:
        value = fields[name]
        if name == "at":
            if not isinstance(value, datetime):
                raise TypeError(f"at must be a datetime, not {type(value).__name__}")
            out[name] = utc_iso(value)
        elif value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            out[name] = value
        else:
            # Anything else (floats, enums, bools) could serialize differently after a database round trip.
            raise TypeError(f"{name} must be str, int or None, not {type(value).__name__}")
    return json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(prev_hash: str, fields: Mapping[str, object]) -> str:
    """Hex sha256 of ``prev_hash + canonical(fields)``; ``fields["prev_hash"]`` must be ``prev_hash``."""
    if fields.get("prev_hash") != prev_hash:
        raise ValueError("fields['prev_hash'] differs from the prev_hash being chained to")
    return hashlib.sha256((prev_hash + canonical(fields)).encode("ascii")).hexdigest()
