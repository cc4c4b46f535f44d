"""Policy facts of bonds: the viewer's ties to a bond (policies/bonds.cedar, R-BOND-01)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.db.bond_tables import Bond
from hub.domain.bonds import Purpose
from hub.policy.engine import FactValue, freeze
from hub.policy.facts import POA_BROKER, Subject

PRINCIPAL = "PRINCIPAL"
FILER = "FILER"
SURETY = "SURETY"
CO_SURETY = "CO_SURETY"


@dataclass(frozen=True)
class BondTies:
    """What links one viewer to bonds, loaded once per request."""

    org_id: str
    poa: Mapping[str, str]  # organization id -> the viewer's POA relation (hub.policy.facts.poa_relations)


def relations(ties: BondTies, principal_org_id: str, surety_org_id: str, co_surety_org_id: str | None,
              filed_by_org_id: str | None) -> frozenset[str]:
    """Every tie at once: a relation never hides another (a surety that also filed the bond is both)."""
    me = ties.org_id
    found = set()
    if principal_org_id == me:
        found.add(PRINCIPAL)
    if ties.poa.get(principal_org_id) == POA_BROKER:
        found.add(POA_BROKER)
    if filed_by_org_id == me:
        found.add(FILER)
    if surety_org_id == me:
        found.add(SURETY)
    if co_surety_org_id is not None and co_surety_org_id == me:
        found.add(CO_SURETY)
    return frozenset(found)


def bond_facts_subject(ties: BondTies, principal_org_id: str, surety_org_id: str, co_surety_org_id: str | None,
                       filed_by_org_id: str | None, purpose: str, object_id: str = "") -> Subject:
    facts: dict[str, FactValue] = {
        "relations": relations(ties, principal_org_id, surety_org_id, co_surety_org_id, filed_by_org_id),
        "ipSample": purpose == Purpose.IPR_SAMPLE.value,
    }
    return Subject("Bond", freeze(facts), object_id)


def bond_subject(row: Bond, ties: BondTies) -> Subject:
    return bond_facts_subject(ties, row.principal_org_id, row.surety_org_id, row.co_surety_org_id,
                              row.filed_by_org_id, row.purpose, row.id)
