"""Policy facts of AD/CVD entries: the viewer's ties to an entry (policies/adcvd.cedar, R-AD-06)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.policy.engine import FactValue, freeze
from hub.policy.facts import POA_BROKER, Subject

IMPORTER = "IMPORTER"
FILER = "FILER"
SURETY = "SURETY"
CASE = Subject("AdcvdCase", freeze({}))


@dataclass(frozen=True)
class EntryTies:
    """What links one viewer to entries, loaded once per request."""

    org_id: str
    poa: Mapping[str, str]  # organization id -> the viewer's POA relation (hub.policy.facts.poa_relations)


def relations(ties: EntryTies, importer_org_id: str, filer_org_id: str | None,
              bond_sureties: tuple[str | None, ...]) -> frozenset[str]:
    """Every tie at once: a broker that filed the entry and holds the importer's POA is both."""
    me = ties.org_id
    found = set()
    if importer_org_id == me:
        found.add(IMPORTER)
    if ties.poa.get(importer_org_id) == POA_BROKER:
        found.add(POA_BROKER)
    if filer_org_id is not None and filer_org_id == me:
        found.add(FILER)
    if me in bond_sureties:
        found.add(SURETY)
    return frozenset(found)


def entry_subject(ties: EntryTies, importer_org_id: str, filer_org_id: str | None,
                  bond_sureties: tuple[str | None, ...], object_id: str = "") -> Subject:
    facts: dict[str, FactValue] = {"relations": relations(ties, importer_org_id, filer_org_id, bond_sureties)}
    return Subject("Entry", freeze(facts), object_id)
