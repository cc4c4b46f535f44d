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
from hub.policy.engine import Decision, PrincipalFacts
from hub.policy.facts import Subject, principal_facts
from hub.runtime import Hub


@dataclass(frozen=True, slots=True)
class Withheld:
    field: str
    action: str
    rule_ids: tuple[str, ...]


@dataclass
class HubContext:
    request: Request
    response: Response | None
    hub: Hub
    principal: Principal
    # One clock reading per request: every stage and clock in this response agrees with every other.
    now: datetime
    loaders: Loaders
    viewer: PrincipalFacts = field(init=False)
    withheld: list[Withheld] = field(default_factory=list)
    disclosures: list[Disclosure] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.viewer = principal_facts(self.principal)

    def decide(self, action: str, subject: Subject) -> Decision:
        return self.hub.policy.decide(self.viewer, action, subject.resource_type, subject.facts)

    def allowed(self, action: str, subject: Subject) -> bool:
        return self.decide(action, subject).allowed

    def require(self, action: str, subject: Subject, code: str = "FORBIDDEN") -> Decision:
        """For mutations: the policy must allow ``action``, or nothing happens."""
        decision = self.decide(action, subject)
        if not decision.allowed:
            raise Forbidden(f"not allowed: {action} ({', '.join(decision.rule_ids)})", code=code,
                            rule_ids=decision.rule_ids)
        return decision

    def withhold(self, field: str, action: str, subject: Subject) -> None:
        self.withheld.append(Withheld(field, action, self.decide(action, subject).rule_ids))

    def disclose(self, subject: Subject, item: str, decision: Decision) -> None:
        """Note a disclosure of restricted data; the endpoint appends them to the audit log."""
        self.disclosures.append(
            Disclosure(
                client_id=self.principal.client_id, organization_id=self.principal.organization_id,
                object_type=subject.resource_type, object_id=subject.object_id, item=item,
                rule_ids=decision.rule_ids, policy_version=decision.policy_version,
                channel=DisclosureChannel.GRAPHQL, at=self.now, request_id=request_id.get(),
            )
        )
