"""Policy facts of IPR detentions: the viewer's relation to the case and the case's stage at ``now``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime

from hub.db.ipr_tables import Detention
from hub.db.tables import Recordation
from hub.domain.calendar import BusinessCalendar
from hub.domain.detentions import Clocks, Events, Finding, clocks, recordation_active, stage
from hub.policy.engine import freeze
from hub.policy.facts import POA_BROKER, Subject

IMPORTER = "IMPORTER"
RIGHTS_HOLDER = "RIGHTS_HOLDER"
NONE = "NONE"


def events_of(row: Detention) -> Events:
    return Events(
        presented_at=row.presented_at,
        detained_at=row.detained_at,
        notice_sent_at=row.notice_sent_at,
        importer_response_at=row.importer_response_at,
        finding=Finding(row.finding) if row.finding else None,
        finding_at=row.finding_at,
        limited_info_released_at=row.limited_info_released_at,
        unredacted_released_at=row.unredacted_released_at,
        importer_disclosure_notice_at=row.importer_disclosure_notice_at,
        seized_at=row.seized_at,
        seizure_notice_at=row.seizure_notice_at,
        released_at=row.released_at,
    )


@dataclass(frozen=True)
class ViewerTies:
    """What links one viewer to detentions, loaded once per request."""

    org_id: str
    poa: Mapping[str, str]  # organization id -> the viewer's POA relation (hub.policy.facts)
    owned_recordations: Mapping[str, Recordation]  # recordations the viewer owns, by number
    acknowledged: frozenset[str]  # detention ids whose Trade Secrets Act notice the viewer acknowledged


def relation(row: Detention, ties: ViewerTies, recordation_numbers: Iterable[str], today: date) -> tuple[str, bool]:
    """The viewer's relation to the case, and whether one of its named recordations is active."""
    if row.importer_org_id == ties.org_id:
        return IMPORTER, False
    if ties.poa.get(row.importer_org_id) == POA_BROKER:
        return POA_BROKER, False
    owned = [ties.owned_recordations[n] for n in recordation_numbers if n in ties.owned_recordations]
    if not owned:
        return NONE, False
    active = any(recordation_active(r.status, r.expires_on, r.principal_register, today) for r in owned)
    return RIGHTS_HOLDER, active


@dataclass(frozen=True)
class DetentionView:
    """A detention row with its clocks and its policy subject for one viewer at one instant."""

    row: Detention
    events: Events
    clocks: Clocks
    subject: Subject
    recordation_numbers: tuple[str, ...]


def detention_view(
    row: Detention, ties: ViewerTies, recordation_numbers: Iterable[str], now: datetime, calendar: BusinessCalendar
) -> DetentionView:
    numbers = tuple(sorted(recordation_numbers))
    events = events_of(row)
    c = clocks(events, calendar)
    rel, active = relation(row, ties, numbers, now.date())
    facts = {
        "relation": rel,
        "recordationActive": active,
        "tsaAcknowledged": row.id in ties.acknowledged,
        "regime": row.regime,
        "leHold": row.le_hold,
        **asdict(stage(events, now, c.importer_response_due_at)),
    }
    return DetentionView(row, events, c, Subject("Detention", freeze(facts), row.id), numbers)


def owner_request_subject(request_id: str, owner_org_id: str, viewer_org_id: str, le_hold: bool) -> Subject:
    relation_ = "ADDRESSEE" if owner_org_id == viewer_org_id else NONE
    return Subject("OwnerRequest", freeze({"relation": relation_, "leHold": le_hold}), request_id)


def recordation_subject(recordation: Recordation, viewer_org_id: str) -> Subject:
    relation_ = "OWNER" if recordation.owner_org_id == viewer_org_id else NONE
    return Subject("Recordation", freeze({"relation": relation_}), recordation.number)
