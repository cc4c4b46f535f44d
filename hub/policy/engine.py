"""The Cedar engine: parses ``policies/`` once, decides on policy facts, caches, and explains.

Cedar costs 50-120 us a decision even with pre-parsed handles (DESIGN.md), far too slow to ask per
cell. A decision depends only on (principal kind and roles, action, resource type, resource facts,
policy version), so it is cached under that key across requests: a page of rows that share facts
costs one Cedar call, or none once warm.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import cedarpy

from hub.errors import ConfigurationError

FactValue = str | bool | int | frozenset[str]
Facts = tuple[tuple[str, FactValue], ...]
DEFAULT_DENY = "DEFAULT-DENY"
NAMESPACE = "Hub"


@dataclass(frozen=True, slots=True)
class PrincipalFacts:
    kind: str
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    # The @id of every policy that determined the decision; DEFAULT-DENY when nothing permitted.
    rule_ids: tuple[str, ...]
    policy_version: str


def freeze(facts: Mapping[str, FactValue | Iterable[str]]) -> Facts:
    """A hashable, order-independent form of a row's facts (the cache key's resource part)."""
    frozen: list[tuple[str, FactValue]] = []
    for key, value in facts.items():
        if isinstance(value, str | bool | int):
            frozen.append((key, value))
        else:
            frozen.append((key, frozenset(value)))
    return tuple(sorted(frozen))


class PolicyEngine:
    def __init__(self, directory: Path, cache_size: int = 65_536) -> None:
        schema_path = directory / "hub.cedarschema"
        policy_paths = sorted(directory.glob("*.cedar"))
        if not schema_path.exists() or not policy_paths:
            raise ConfigurationError(f"no Cedar schema or policies in {directory}", code="POLICIES_MISSING")
        self.directory = directory
        self.schema_text = schema_path.read_text()
        self.policies_text = "\n".join(p.read_text() for p in policy_paths)
        digest = hashlib.sha256(self.schema_text.encode() + b"\0" + self.policies_text.encode())
        self.version = f"cedar-{digest.hexdigest()[:12]}"
        self._schema = cedarpy.Schema.from_str(self.schema_text)
        self._policies = cedarpy.PolicySet.from_str(self.policies_text)
        self._cache: OrderedDict[tuple[object, ...], Decision] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.cedar_calls = 0

    def validate(self) -> list[str]:
        """Type-check every policy against the schema; returns the errors (empty when valid)."""
        result = cedarpy.validate_policies(self.policies_text, self._schema)
        return [str(error) for error in result.errors]

    def decide(self, principal: PrincipalFacts, action: str, resource_type: str, facts: Facts) -> Decision:
        key = (principal.kind, principal.roles, action, resource_type, facts)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        decision = self._ask_cedar(principal, action, resource_type, facts)
        with self._lock:
            self._cache[key] = decision
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return decision

    def _ask_cedar(self, principal: PrincipalFacts, action: str, resource_type: str, facts: Facts) -> Decision:
        entities = [
            {
                "uid": {"type": f"{NAMESPACE}::Principal", "id": "viewer"},
                "attrs": {"kind": principal.kind, "roles": sorted(principal.roles)},
                "parents": [],
            },
            {
                "uid": {"type": f"{NAMESPACE}::{resource_type}", "id": "row"},
                "attrs": {k: sorted(v) if isinstance(v, frozenset) else v for k, v in facts},
                "parents": [],
            },
        ]
        request = {
            "principal": {"type": f"{NAMESPACE}::Principal", "id": "viewer"},
            "action": {"type": f"{NAMESPACE}::Action", "id": action},
            "resource": {"type": f"{NAMESPACE}::{resource_type}", "id": "row"},
            "context": {},
        }
        self.cedar_calls += 1
        result = cedarpy.is_authorized(request, self._policies, entities, self._schema)
        errors = result.diagnostics.errors
        if errors:
            # A fact missing or mistyped is a bug in the facts builder; deny rather than guess.
            raise ConfigurationError(f"policy evaluation failed for {action}: {errors}", code="POLICY_ERROR")
        by_reason = result.diagnostics.id_annotations_by_reason
        rule_ids = tuple(sorted(by_reason.get(r, r) for r in result.diagnostics.reasons))
        return Decision(result.allowed, rule_ids or (DEFAULT_DENY,), self.version)
