"""The one part of the API open without a token (R-FL-01): queries whose every root field is the public list of
Withhold Release Orders and Findings, rate-limited per client address.

An operation is admitted anonymously only if it is a query and every field selected at its root (all operations of
the document, fragments followed) is ``withholdReleaseOrders`` or ``__typename``. Anything else, including schema
introspection (``__schema``/``__type``, which describes the protected API), still needs a token and gets the 401 it
always got. What an admitted query may read is then decided by Cedar for the ANONYMOUS principal (R-FL-01-ANON).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode, OperationDefinitionNode, parse
from graphql.language import FragmentDefinitionNode, OperationType, SelectionSetNode
from starlette.requests import Request

PUBLIC_ROOT_FIELDS = frozenset({"withholdReleaseOrders", "__typename"})
_MAX_QUERY_CHARS = 20_000


def _root_fields(selection: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
                 ) -> list[str] | None:
    names: list[str] = []
    for node in selection.selections:
        if isinstance(node, FieldNode):
            names.append(node.name.value)
        elif isinstance(node, InlineFragmentNode):
            inner = _root_fields(node.selection_set, fragments, seen)
            if inner is None:
                return None
            names += inner
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in seen or name not in fragments:
                return None
            inner = _root_fields(fragments[name].selection_set, fragments, seen | {name})
            if inner is None:
                return None
            names += inner
    return names


def is_public_query(query: str) -> bool:
    """True when every operation of ``query`` is a query selecting only the public list (or __typename)."""
    if not query or len(query) > _MAX_QUERY_CHARS:
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        return False
    for op in operations:
        if op.operation is not OperationType.QUERY:
            return False
        names = _root_fields(op.selection_set, fragments, set())
        if not names or any(n not in PUBLIC_ROOT_FIELDS for n in names):
            return False
    return True


async def public_query_of(request: Request) -> bool:
    """Whether this token-less HTTP request asks only for the public list. Reads the body (Starlette caches it, so
    GraphQL reads the same bytes); a body that is not a single JSON query is not public."""
    if request.method == "GET":
        return is_public_query(request.query_params.get("query", ""))
    if request.method != "POST" or "json" not in request.headers.get("content-type", ""):
        return False
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("query"), str) and is_public_query(body["query"])


class TokenBuckets:
    """One token bucket per client address: ``burst`` requests at once, refilled at ``per_minute``.

    In-process (each Hub worker limits on its own; a shared limiter would need Redis or the database). The table of
    addresses is bounded: the least recently seen ones are dropped first.
    """

    def __init__(self, per_minute: float, burst: int, max_clients: int = 100_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds until one token is back (for Retry-After)."""
        at = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, at))
            tokens = min(self.burst, tokens + (at - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[client] = (tokens, at)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait
