"""The pure hash chain: canonical form and hashes are a stored format, so they must never drift."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from hub.audit.chain import CHAINED_FIELDS, GENESIS, canonical, entry_hash, utc_iso
from hub.db.audit_tables import DisclosureEntry


def _fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "seq": 1,
        "at": datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC),
        "client_id": "cbp-officer",
        "organization_id": "org1",
        "object_type": "Detention",
        "object_id": "d1",
        "item": "images:UNREDACTED",
        "rule_ids": "R-DET-01,R-DET-02",
        "policy_version": "cedar-0123456789ab",
        "channel": "IMAGE_FETCH",
        "request_id": None,
        "prev_hash": GENESIS,
    }
    fields.update(changes)
    return fields


def test_genesis_is_64_zeros() -> None:
    assert GENESIS == "0" * 64


def test_canonical_form_is_sorted_compact_json_with_utc_microseconds() -> None:
    assert canonical(_fields()) == (
        '{"at":"2026-03-04T05:06:07.000890Z","channel":"IMAGE_FETCH","client_id":"cbp-officer",'
        '"item":"images:UNREDACTED","object_id":"d1","object_type":"Detention","organization_id":"org1",'
        '"policy_version":"cedar-0123456789ab","prev_hash":"' + GENESIS + '","request_id":null,'
        '"rule_ids":"R-DET-01,R-DET-02","seq":1}'
    )


def test_hash_is_stable() -> None:
    """A golden value: if this changes, every stored chain stops verifying."""
    expected = hashlib.sha256((GENESIS + canonical(_fields())).encode()).hexdigest()
    assert entry_hash(GENESIS, _fields()) == expected
    assert expected == "99f057974dbe3864938e44183bc184eb7a5c6ccaa374301c397a389d23b95ee5"


def test_the_same_instant_in_any_offset_or_naive_utc_hashes_the_same() -> None:
    utc = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    eastern = utc.astimezone(timezone(timedelta(hours=-5)))
    naive = utc.replace(tzinfo=None)  # how SQLite returns a stored UTC timestamp
    assert utc_iso(utc) == utc_iso(eastern) == utc_iso(naive) == "2026-03-04T05:06:07.000890Z"
    assert len({entry_hash(GENESIS, _fields(at=at)) for at in (utc, eastern, naive)}) == 1


def test_non_ascii_text_is_escaped_so_the_hash_input_is_ascii() -> None:
    assert '"item":"importer.name \\u00e9"' in canonical(_fields(item="importer.name é"))


@pytest.mark.parametrize("name", CHAINED_FIELDS)
def test_every_field_is_covered_by_the_hash(name: str) -> None:
    base = _fields()
    if name == "prev_hash":
        other = "f" * 64
        assert entry_hash(other, _fields(prev_hash=other)) != entry_hash(GENESIS, base)
        return
    changed = {"seq": 2, "at": base["at"] + timedelta(microseconds=1), "request_id": "req-1"}.get(name)
    assert entry_hash(GENESIS, _fields(**{name: changed if changed is not None else base[name] + "x"})) != (
        entry_hash(GENESIS, base)
    )


def test_missing_or_extra_fields_are_rejected() -> None:
    partial = _fields()
    del partial["item"]
    with pytest.raises(ValueError, match=r"missing \['item'\]"):
        canonical(partial)
    with pytest.raises(ValueError, match=r"unexpected \['hash'\]"):
        canonical(_fields(hash="ab"))


@pytest.mark.parametrize(("name", "value"), [("seq", True), ("seq", 1.0), ("item", b"x"), ("at", "2026-01-01")])
def test_values_that_could_serialize_ambiguously_are_rejected(name: str, value: object) -> None:
    with pytest.raises(TypeError):
        canonical(_fields(**{name: value}))


def test_prev_hash_argument_must_match_the_field() -> None:
    with pytest.raises(ValueError, match="prev_hash"):
        entry_hash("f" * 64, _fields())


def test_chained_fields_are_every_table_column_but_hash() -> None:
    columns = [c.name for c in DisclosureEntry.__table__.columns]  # type: ignore[attr-defined]
    assert sorted(columns) == sorted([*CHAINED_FIELDS, "hash"])
