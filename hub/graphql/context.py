"""The per-request GraphQL context: one principal, one ``now``, loaders and policy decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from hub.audit.log import Disclosure
from hub.auth.principal import Principal
from hub.db.audit_tables import DisclosureChannel
from hub.errors import Forbidden
from hub.graphql.loaders import Loaders
from hub.logs import request_id
from hub.policy.engine import Decision, Facts, PrincipalFacts
from hub.policy.facts import Subject, principal_facts
from hub.runtime import Hub


@dataclass
class HubContext:
    request: Request | None  # None when the Hub renders a payload for a webhook or a subscription
    response: Response | None
    hub: Hub
    principal: Principal
    # One clock reading per request: every stage and clock in this response agrees with every other.
    now: datetime
    loaders: Loaders
    viewer: PrincipalFacts = field(init=False)
    _decisions: dict[tuple[str, str, Facts], Decision] = field(default_factory=dict)
    _disclosed: dict[tuple[str, str, tuple[str, ...], str], set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.viewer = principal_facts(self.principal)

    def decide(self, action: str, subject: Subject) -> Decision:
        # A request asks the same few questions many times (one per field per row): memoize locally,
        # in front of the engine's shared cache, so the hot path is one dict lookup.
        key = (action, subject.resource_type, subject.facts)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self.hub.policy.decide(self.viewer, action, subject.resource_type, subject.facts)
            self._decisions[key] = decision
        return decision

    def allowed(self, action: str, subject: Subject) -> bool:
        return self.decide(action, subject).allowed

    def require(self, action: str, subject: Subject, code: str = "FORBIDDEN") -> Decision:
        """For mutations: the policy must allow ``action``, or nothing happens."""
        decision = self.decide(action, subject)
        if not decision.allowed:
            raise Forbidden(f"not allowed: {action} ({', '.join(decision.rule_ids)})", code=code,
                            rule_ids=decision.rule_ids)
        return decision

    def disclose(self, subject: Subject, item: str, decision: Decision) -> None:
        """Note a disclosure of restricted data; the endpoint appends them to the audit log."""
        key = (subject.resource_type, subject.object_id, decision.rule_ids, decision.policy_version)
        self._disclosed.setdefault(key, set()).add(item)

    def disclosures(self, channel: DisclosureChannel = DisclosureChannel.GRAPHQL) -> list[Disclosure]:
        """One log entry per object and rule, naming every field of it this response carries."""
        return [
            Disclosure(
                client_id=self.principal.client_id, organization_id=self.principal.organization_id,
                object_type=object_type, object_id=object_id, item=",".join(sorted(items)), rule_ids=rule_ids,
                policy_version=version, channel=channel, at=self.now, request_id=request_id.get(),
            )
            for (object_type, object_id, rule_ids, version), items in self._disclosed.items()
        ]
