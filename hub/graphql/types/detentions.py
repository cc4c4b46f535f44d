"""GraphQL types for IPR detentions. Thin: every restricted field names its Cedar action."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from hub.domain import detentions as domain
from hub.graphql.guard import guarded, public, public_value
from hub.graphql.relay import Node, to_global_id
from hub.graphql.types.detention_parts import (
    AccessEntry,
    AuthenticationRequestType,
    Disclosure,
    ImageType,
    ImporterResponseType,
    OverdueItem,
    Party,
    RecordationType,
    SampleRequestType,
    TimelineEntry,
)
from hub.graphql.types.parties import OrganizationType
from hub.policy.detention_facts import DetentionView
from hub.policy.facts import Subject

_WORKFLOW = "workflow times and stage: shown with the detention, which ReadDetention allowed (row scope)"


@strawberry.enum
class DetentionStatus(enum.Enum):
    PRESENTED = "PRESENTED"
    DETAINED = "DETAINED"
    NOTICE_SENT = "NOTICE_SENT"
    SEIZED = "SEIZED"
    RELEASED = "RELEASED"
    DEEMED_EXCLUDED = "DEEMED_EXCLUDED"


@strawberry.enum
class ImporterResponseOutcome(enum.Enum):
    PENDING = "PENDING"
    SUFFICIENT = "SUFFICIENT"
    INSUFFICIENT = "INSUFFICIENT"
    NONE = "NONE"


@strawberry.enum
class DetentionTrack(enum.Enum):
    STANDARD = "STANDARD"
    EXPEDITED = "EXPEDITED"


@strawberry.enum
class DetentionRegime(enum.Enum):
    COUNTERFEIT_TRADEMARK = "COUNTERFEIT_TRADEMARK"
    GRAY_MARKET = "GRAY_MARKET"
    COPYRIGHT = "COPYRIGHT"


@strawberry.type
class ImporterParty:
    name: str = public_value("shown with its party, which ReadPartyIdentities allowed")
    address: str = public_value("shown with its party, which ReadPartyIdentities allowed")
    organization_id: strawberry.Private[str]

    @public("the organization itself is resolved under ReadOrganization")
    async def organization(self, info: Info[Any, None]) -> OrganizationType | None:
        from hub.graphql.resolvers.parties import organization_by_id

        return await organization_by_id(info, self.organization_id)


@strawberry.type(name="Detention")
class DetentionType(Node):
    id: strawberry.ID = public_value("shown with the detention, which ReadDetention allowed (row scope)")
    view: strawberry.Private[DetentionView]

    @property
    def subject(self) -> Subject:
        return self.view.subject

    @public("CBP's case number is how every party refers to the case")
    def case_number(self) -> str:
        return self.view.row.case_number

    @public(_WORKFLOW)
    def regime(self) -> DetentionRegime:
        return DetentionRegime(self.view.row.regime)

    @public(_WORKFLOW)
    def track(self) -> DetentionTrack:
        return DetentionTrack(self.view.row.track)

    @public(_WORKFLOW)
    def status(self, info: Info[Any, None]) -> DetentionStatus:
        return DetentionStatus(domain.status(self.view.events, info.context.now).value)

    @guarded("ReadEnforcementFlags", description="Law-enforcement / national-security hold (CBP only).")
    def law_enforcement_hold(self) -> bool | None:
        return self.view.row.le_hold

    @public(_WORKFLOW)
    def presented_at(self) -> datetime:
        return self.view.events.presented_at

    @public(_WORKFLOW)
    def detained_at(self) -> datetime | None:
        return self.view.events.detained_at

    @public(_WORKFLOW, description="Due by the decision to detain + 5 business days (R-IPR-05).")
    def notice_of_detention_due_at(self) -> datetime | None:
        return self.view.clocks.notice_due_at

    @public(_WORKFLOW)
    def notice_of_detention_sent_at(self) -> datetime | None:
        return self.view.events.notice_sent_at

    @public(_WORKFLOW, description="Notice of detention + 7 business days (R-IPR-05, § 133.21(b)(2)(i)).")
    def importer_response_due_at(self) -> datetime | None:
        return self.view.clocks.importer_response_due_at

    @public(_WORKFLOW)
    def importer_response_outcome(self, info: Info[Any, None]) -> ImporterResponseOutcome:
        outcome = domain.response_outcome(self.view.events, info.context.now, self.view.clocks.importer_response_due_at)
        return ImporterResponseOutcome(outcome.value)

    @public(_WORKFLOW)
    def limited_info_released_at(self) -> datetime | None:
        return self.view.events.limited_info_released_at

    @public(_WORKFLOW)
    def unredacted_released_at(self) -> datetime | None:
        return self.view.events.unredacted_released_at

    @public(_WORKFLOW)
    def seized_at(self) -> datetime | None:
        return self.view.events.seized_at

    @public(_WORKFLOW)
    def seizure_notice_sent_at(self) -> datetime | None:
        return self.view.events.seizure_notice_at

    @public(_WORKFLOW, description="Notice of seizure + 30 business days (R-IPR-09, § 133.21(e)).")
    def post_seizure_disclosure_due_at(self) -> datetime | None:
        return self.view.clocks.post_seizure_disclosure_due_at

    @public(_WORKFLOW)
    def released_at(self) -> datetime | None:
        return self.view.events.released_at

    @public(_WORKFLOW, description="Presentation + 30 days; then DEEMED_EXCLUDED unless released or seized.")
    def expires_at(self) -> datetime:
        return self.view.clocks.expires_at

    @guarded("ReadLimitedInfo", description="§ 133.21(b)(4)(i)")
    def date_of_importation(self) -> date | None:
        return self.view.row.date_of_importation

    @guarded("ReadLimitedInfo", description="§ 133.21(b)(4)(ii)")
    def port_code(self) -> str | None:
        return self.view.row.port_code

    @guarded("ReadLimitedInfo", description="§ 133.21(b)(4)(iii); after seizure, per the notice of seizure (e)(3)")
    def description(self) -> str | None:
        return self.view.row.seizure_description or self.view.row.description

    @guarded("ReadLimitedInfo", description="§ 133.21(b)(4)(iv); after seizure, per the notice of seizure (e)(4)")
    def quantity(self) -> int | None:
        return self.view.row.seizure_quantity or self.view.row.quantity

    @guarded("ReadLimitedInfo")
    def quantity_unit(self) -> str | None:
        return self.view.row.quantity_unit

    @guarded("ReadLimitedInfo", description="§ 133.21(b)(4)(v)")
    def country_of_origin(self) -> str | None:
        return self.view.row.country_of_origin

    @guarded("ReadPartyIdentities", audit=True, description="Entry data (R-IPR-10: owners only after seizure).")
    def entry_number(self) -> str | None:
        return self.view.row.entry_number

    @guarded("ReadPartyIdentities", audit=True)
    def importer(self) -> ImporterParty | None:
        row = self.view.row
        return ImporterParty(name=row.importer_name, address=row.importer_address,
                             organization_id=row.importer_org_id)

    @guarded("ReadPartyIdentities", audit=True)
    def manufacturer(self) -> Party | None:
        return Party(name=self.view.row.manufacturer_name, address=self.view.row.manufacturer_address)

    @guarded("ReadPartyIdentities", audit=True)
    def exporter(self) -> Party | None:
        return Party(name=self.view.row.exporter_name, address=self.view.row.exporter_address)

    @public("recordations are public in CBP's IPR search (FACTS §2); guides are guarded per recordation")
    async def recordations(self, info: Info[Any, None]) -> list[RecordationType]:
        from hub.graphql.resolvers.detentions import recordations_of

        return await recordations_of(info, self.view)

    @guarded("ReadRedactedImages", "ReadUnredactedImages", empty=[],
             description="Per image, the best variant the viewer may see now, with a 5-minute URL.")
    async def images(self, info: Info[Any, None]) -> list[ImageType]:
        from hub.graphql.resolvers.detentions import images_of

        return await images_of(info, self.view)

    @public("explains the viewer's own access: what it sees, what is withheld and why, and when next")
    def disclosure(self, info: Info[Any, None]) -> Disclosure:
        from hub.graphql.resolvers.detentions import disclosure_of

        return disclosure_of(info, self.view)

    @guarded("ReadTimeline", empty=[])
    async def timeline(self, info: Info[Any, None]) -> list[TimelineEntry]:
        from hub.graphql.resolvers.detentions import timeline_of

        return await timeline_of(info, self.view)

    @guarded("ReadImporterResponse", empty=[])
    async def importer_responses(self, info: Info[Any, None]) -> list[ImporterResponseType]:
        from hub.graphql.resolvers.detentions import responses_of

        return await responses_of(info, self.view)

    @public("each request is filtered by ReadOwnerRequest: CBP and its addressee only")
    async def authentication_requests(self, info: Info[Any, None]) -> list[AuthenticationRequestType]:
        from hub.graphql.resolvers.detentions import authentication_requests_of

        return await authentication_requests_of(info, self.view)

    @public("each request is filtered by ReadOwnerRequest: CBP and its addressee only")
    async def sample_requests(self, info: Info[Any, None]) -> list[SampleRequestType]:
        from hub.graphql.resolvers.detentions import sample_requests_of

        return await sample_requests_of(info, self.view)

    @guarded("ReadAccessLog", empty=[], description="Who received this detention's restricted data (audit log).")
    async def access_log(self, info: Info[Any, None], first: int = 50) -> list[AccessEntry]:
        from hub.graphql.resolvers.detentions import access_log_of

        return await access_log_of(info, self.view, first)

    @guarded("ReadOverdue", empty=[], description="Deadlines CBP has missed on this case at the request's now.")
    async def overdue(self, info: Info[Any, None]) -> list[OverdueItem]:
        from hub.graphql.resolvers.detentions import overdue_of

        return await overdue_of(info, self.view)


def detention_type(view: DetentionView) -> DetentionType:
    return DetentionType(id=strawberry.ID(to_global_id("Detention", view.row.id)), view=view)
