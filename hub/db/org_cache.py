"""A short-lived, per-process cache of organization rows.

Organizations are slowly-changing reference data read on almost every request (the viewer's own
organization, parties on every page), and on the embedded SQLite store each read is a thread hop.
Entries live ``ttl`` seconds, so a change reaches every worker within that time. Relations between
organizations (powers of attorney) are never cached: access depends on them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from hub.db.tables import Organization


class OrganizationCache:
    def __init__(self, ttl: float = 30.0, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._rows: dict[str, tuple[float, Organization]] = {}

    def get_many(self, ids: Iterable[str]) -> dict[str, Organization]:
        now = time.monotonic()
        found = {}
        for org_id in ids:
            entry = self._rows.get(org_id)
            if entry is not None and now - entry[0] < self.ttl:
                found[org_id] = entry[1]
        return found

    def put_many(self, rows: Iterable[Organization]) -> None:
        if len(self._rows) > self.max_entries:
            self._rows.clear()
        now = time.monotonic()
        for row in rows:
            self._rows[row.id] = (now, row)
