"""The per-request GraphQL context: one principal, one ``now``, loaders and policy decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from hub.auth.principal import Principal
from hub.graphql.loaders import Loaders
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

    def __post_init__(self) -> None:
        self.viewer = principal_facts(self.principal)

    def decide(self, action: str, subject: Subject) -> Decision:
        return self.hub.policy.decide(self.viewer, action, subject.resource_type, subject.facts)

    def allowed(self, action: str, subject: Subject, *, field: str = "") -> bool:
        decision = self.decide(action, subject)
        if not decision.allowed:
            self.withheld.append(Withheld(field, action, decision.rule_ids))
        return decision.allowed
