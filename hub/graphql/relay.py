"""Relay conventions: global ids, the Node interface, cursor connections with keyset pagination."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import strawberry

from hub.errors import InvalidInput

T = TypeVar("T")


def to_global_id(type_name: str, pk: str) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def from_global_id(global_id: str) -> tuple[str, str]:
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidInput("malformed global id", code="INVALID_ID") from exc
    if not type_name or not pk:
        raise InvalidInput("malformed global id", code="INVALID_ID")
    return type_name, pk


def pk_of(global_id: str, expected: str) -> str:
    """The primary key inside a global id that must name an ``expected`` object (INVALID_ID otherwise)."""
    kind, pk = from_global_id(str(global_id))
    if kind != expected:
        raise InvalidInput(f"expected a {expected} id", code="INVALID_ID")
    return pk


def encode_cursor(key: Sequence[Any]) -> str:
    """A cursor is the row's sort key, opaque to clients: the next page starts strictly after it."""
    return base64.urlsafe_b64encode(json.dumps(list(key), separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidInput("malformed cursor", code="INVALID_CURSOR") from exc
    if not isinstance(key, list) or len(key) != arity:
        raise InvalidInput("malformed cursor", code="INVALID_CURSOR")
    return key


def check_first(first: int | None, cap: int) -> int:
    if first is None:
        return min(20, cap)
    if first < 0:
        raise InvalidInput("first must not be negative", code="INVALID_PAGE_SIZE")
    if first > cap:
        raise InvalidInput(f"first must be at most {cap}", code="PAGE_SIZE_TOO_LARGE")
    return first


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def connection(nodes: Sequence[T], keys: Sequence[Sequence[Any]], first: int, had_cursor: bool) -> Connection[T]:
    """Build a page from ``first + 1`` fetched rows: the extra row only tells that a next page exists."""
    page = list(nodes[:first])
    cursors = [encode_cursor(k) for k in keys[:first]]
    edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, page, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(nodes) > first,
            has_previous_page=had_cursor,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        ),
    )
