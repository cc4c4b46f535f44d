"""Policy facts: each row reduced to what the Cedar policies look at, relative to one viewer.

Facts are computed here, never in resolvers, so that GraphQL, webhooks and CLI exports ask the
same question of the same policies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.auth.principal import Principal
from hub.db.tables import Organization
from hub.policy.engine import Facts, PrincipalFacts, freeze

# Relations of a viewer to an organization (see policies/hub.cedarschema).
SELF = "SELF"
POA_BROKER = "POA_BROKER"
POA_PRINCIPAL = "POA_PRINCIPAL"
NONE = "NONE"


def principal_facts(principal: Principal) -> PrincipalFacts:
    return PrincipalFacts(kind=principal.org_kind, roles=principal.roles)


@dataclass(frozen=True, slots=True)
class Subject:
    """A row as the policy sees it: its Cedar entity type and its facts.

    ``object_id`` names the row for the disclosure log; it is not part of any decision (decisions are
    cached by type and facts alone).
    """

    resource_type: str
    facts: Facts
    object_id: str = ""


def organization_subject(viewer_org_id: str, org: Organization, poa: Mapping[str, str]) -> Subject:
    """``poa`` maps organization ids to the viewer's POA relation with them (see ``poa_relations``)."""
    if org.id == viewer_org_id:
        relation = SELF
    else:
        relation = poa.get(org.id, NONE)
    return Subject("Organization", freeze({"relation": relation, "iorKind": org.ior_kind or "NONE"}), org.id)


def poa_relations(viewer_org_id: str, active_pairs: list[tuple[str, str]]) -> dict[str, str]:
    """From active (broker_org_id, importer_org_id) pairs touching the viewer, its relation to each party."""
    relations: dict[str, str] = {}
    for broker_id, importer_id in active_pairs:
        if broker_id == viewer_org_id:
            relations[importer_id] = POA_BROKER
        elif importer_id == viewer_org_id:
            # Two organizations may hold each other's power of attorney: acting for the other (POA_BROKER)
            # is the stronger tie and must not be hidden by the reverse one.
            relations.setdefault(broker_id, POA_PRINCIPAL)
    return relations
