"""Policy facts of forced labor (policies/forced_labor.cedar): the viewer's ties to a detention, an allegation or
the metrics, and the anonymous principal of the public list (R-FL-01)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.auth.principal import Principal
from hub.policy.engine import freeze
from hub.policy.facts import POA_BROKER, Subject

IMPORTER = "IMPORTER"
SUBMITTER = "SUBMITTER"
LABOR_AGENCY = "LABOR_AGENCY"
NONE = "NONE"
ANONYMOUS = "ANONYMOUS"
# Agency codes of the labor agency that sees unsuppressed metrics (issue 7 item 5): DOL (ILAB) in the demo.
LABOR_AGENCY_CODES = frozenset({"DOL"})

# The caller without a token: a principal of its own kind, so that Cedar decides what it may do (R-FL-01-ANON).
ANONYMOUS_PRINCIPAL = Principal(client_id="anonymous", organization_id="", org_kind=ANONYMOUS)

# The public list has no facts: every viewer asks the same question.
WRO_SUBJECT = Subject("WithholdReleaseOrder", freeze({}))


@dataclass(frozen=True)
class DetentionTies:
    """What links one viewer to forced-labor detentions, loaded once per request."""

    org_id: str
    poa: Mapping[str, str]  # organization id -> the viewer's POA relation (hub.policy.facts.poa_relations)


def relations(ties: DetentionTies, importer_org_id: str) -> frozenset[str]:
    found = set()
    if importer_org_id == ties.org_id:
        found.add(IMPORTER)
    if ties.poa.get(importer_org_id) == POA_BROKER:
        found.add(POA_BROKER)
    return frozenset(found)


def detention_subject(ties: DetentionTies, importer_org_id: str, object_id: str = "") -> Subject:
    return Subject("ForcedLaborDetention", freeze({"relations": relations(ties, importer_org_id)}), object_id)


def allegation_subject(viewer_org_id: str, submitter_org_id: str | None, object_id: str = "") -> Subject:
    relation = SUBMITTER if submitter_org_id is not None and submitter_org_id == viewer_org_id else NONE
    return Subject("ForcedLaborAllegation", freeze({"relation": relation}), object_id)


def metrics_subject(viewer_agency_code: str | None) -> Subject:
    relation = LABOR_AGENCY if viewer_agency_code in LABOR_AGENCY_CODES else NONE
    return Subject("ForcedLaborMetrics", freeze({"relation": relation}))
