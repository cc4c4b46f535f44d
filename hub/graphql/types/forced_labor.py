"""GraphQL types for forced labor. Thin: the public list is public (R-FL-01); a detention shows only once ReadForced-
LaborDetention allowed it (scope + decision, R-FL-02); amounts are decimal strings; events render via node(id)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry

from hub.db.forced_labor_tables import ForcedLaborAllegation
from hub.domain import forced_labor_allegations as allegation_rules
from hub.graphql.guard import public, public_value
from hub.graphql.relay import Node, to_global_id
from hub.policy.facts import Subject
from hub.policy.forced_labor_facts import WRO_SUBJECT
from hub.services.forced_labor_metrics import MetricsRow
from hub.services.forced_labor_views import DetentionView, OrderView

_LIST = "R-FL-01: the public list of WROs and Findings, readable by everyone"
_WITH = "shown with the detention, which ReadForcedLaborDetention allowed (R-FL-02; row scope)"
_ALLEGATION = "shown with the allegation, which ReadAllegation allowed (R-FL-04)"
_METRICS = ("an aggregate cell; viewers without ReadForcedLaborMetrics get only the cells that pass the disclosure "
            "rules")


@strawberry.enum
class OrderType(enum.Enum):
    WRO = "WRO"
    FINDING = "FINDING"


@strawberry.enum
class OrderStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    MODIFIED = "MODIFIED"
    REVOKED = "REVOKED"


@strawberry.enum
class ForcedLaborAuthority(enum.Enum):
    WRO = "WRO"
    FINDING = "FINDING"
    UFLPA = "UFLPA"


@strawberry.enum
class ForcedLaborStage(enum.Enum):
    DETAINED = "DETAINED"
    PROOF_WINDOW_LAPSED = "PROOF_WINDOW_LAPSED"
    EXCLUDED = "EXCLUDED"
    PROTESTED = "PROTESTED"
    DEEMED_ABANDONED = "DEEMED_ABANDONED"
    DEEMED_EXCLUDED = "DEEMED_EXCLUDED"
    RELEASED = "RELEASED"
    EXPORTED = "EXPORTED"
    SEIZED = "SEIZED"


@strawberry.enum
class ForcedLaborOutcome(enum.Enum):
    RELEASED = "RELEASED"
    EXPORTED = "EXPORTED"
    EXCLUDED = "EXCLUDED"
    SEIZED = "SEIZED"


@strawberry.enum
class ForcedLaborPeriod(enum.Enum):
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


@strawberry.enum
class AllegationStatus(enum.Enum):
    RETURNED = "RETURNED"
    CONFORMING = "CONFORMING"
    FORWARDED = "FORWARDED"


@strawberry.type
class OrderStatusChange:
    status: OrderStatus = public_value(_LIST)
    effective_on: date | None = public_value(_LIST, description="Null when the source gives no date.")
    note: str = public_value(_LIST)


@strawberry.type(name="WithholdReleaseOrder")
class WithholdReleaseOrderNode(Node):
    """A WRO (19 CFR 12.42(e)) or Finding (12.42(f)) as on CBP's public list (hub/reference/SOURCES.md S-WRO-*)."""

    id: strawberry.ID = public_value(_LIST)
    view: strawberry.Private[OrderView]

    @property
    def subject(self) -> Subject:
        return WRO_SUBJECT

    @public(_LIST)
    def order_type(self) -> OrderType:
        return OrderType(self.view.row.order_type)

    @public(_LIST, description="For date precision MONTH, the 1st of the month.")
    def effective_date(self) -> date:
        return self.view.row.effective_on

    @public(_LIST, description="day | month (the source gives only YYYY-MM).")
    def date_precision(self) -> str:
        return self.view.row.date_precision

    @public(_LIST)
    def country(self) -> str:
        return self.view.row.country

    @public(_LIST, description="The entity the order names; null when it names goods of a region or country.")
    def entity(self) -> str | None:
        return self.view.row.entity

    @public(_LIST, description="The goods, when the list names them.")
    def merchandise(self) -> str | None:
        return self.view.row.merchandise

    @public(_LIST, description="Entity or merchandise as in the source.")
    def scope(self) -> str:
        return self.view.row.scope

    @public(_LIST)
    def industry(self) -> str:
        return self.view.row.industry

    @public(_LIST)
    def status(self) -> OrderStatus:
        return OrderStatus(self.view.row.status)

    @public(_LIST, description="The status as the source words it (the mapping is in hub/domain/forced_labor_orders).")
    def status_in_source(self) -> str:
        return self.view.row.status_in_source

    @public(_LIST, description="False where the source says the status was not verified.")
    def status_verified(self) -> bool:
        return self.view.row.status_verified

    @public(_LIST)
    def status_note(self) -> str:
        return self.view.row.status_note

    @public(_LIST, description="True where the source flags a known error (wrong date, stale status, merged rows).")
    def data_quality_flag(self) -> bool:
        return self.view.row.data_quality_flag

    @public(_LIST, description="Legal basis and the source the row was transcribed from.")
    def citation(self) -> str:
        return self.view.row.citation

    @public(_LIST)
    def source_ref(self) -> str:
        return self.view.row.source_ref

    @public(_LIST)
    def status_history(self) -> list[OrderStatusChange]:
        return [OrderStatusChange(status=OrderStatus(h.status), effective_on=h.effective_on, note=h.note)
                for h in self.view.history]


def order_node(view: OrderView) -> WithholdReleaseOrderNode:
    return WithholdReleaseOrderNode(id=strawberry.ID(to_global_id("WithholdReleaseOrder", view.row.id)), view=view)


@strawberry.type
class ForcedLaborDocumentType:
    kind: str = public_value(_WITH)
    filename: str = public_value(_WITH)
    content_type: str = public_value(_WITH, description="Checked by content (a PDF is a PDF).")
    size: int = public_value(_WITH)
    sha256: str = public_value(_WITH)
    submitted_at: datetime = public_value(_WITH)


@strawberry.type
class SupplierType:
    tier: int = public_value(_WITH)
    entity: str = public_value(_WITH)
    country: str = public_value(_WITH)
    role: str = public_value(_WITH)
    flagged: bool = public_value(_WITH, description="The entity matches an active WRO/Finding entity (a lead).")
    matched_order: WithholdReleaseOrderNode | None = public_value(_WITH)


@strawberry.type(name="ForcedLaborImporter")
class ImporterRef:
    id: strawberry.ID = public_value(_WITH)
    name: str = public_value(_WITH)


@strawberry.type(name="ForcedLaborDetention")
class ForcedLaborDetentionNode(Node):
    id: strawberry.ID = public_value(_WITH)
    view: strawberry.Private[DetentionView]

    @property
    def subject(self) -> Subject:
        return self.view.subject

    @public(_WITH)
    def case_number(self) -> str:
        return self.view.row.case_number

    @public(_WITH)
    def authority(self) -> ForcedLaborAuthority:
        return ForcedLaborAuthority(self.view.row.authority)

    @public(_WITH, description="The WRO or Finding; null under UFLPA.")
    def order(self) -> WithholdReleaseOrderNode | None:
        return order_node(self.view.order) if self.view.order else None

    @public(_WITH, description="The entry (R-ID-01 normalized).")
    def entry_number(self) -> str:
        return self.view.row.entry_number

    @public(_WITH)
    def importer(self) -> ImporterRef:
        org = self.view.importer
        return ImporterRef(id=strawberry.ID(to_global_id("Organization", self.view.row.importer_org_id)),
                           name=org.name if org else "")

    @public(_WITH)
    def port_code(self) -> str:
        return self.view.row.port_code

    @public(_WITH)
    def description(self) -> str:
        return self.view.row.description

    @public(_WITH, description="Decimal string.")
    def value(self) -> str:
        return f"{self.view.row.value:.2f}"

    @public(_WITH)
    def imported_on(self) -> date:
        return self.view.row.imported_on

    @public(_WITH)
    def presented_at(self) -> datetime:
        return self.view.row.presented_at

    @public(_WITH, description="At the request's now (R-FL-03).")
    def stage(self) -> ForcedLaborStage:
        return ForcedLaborStage(self.view.stage.value)

    @public(_WITH, description="Null while pending.")
    def outcome(self) -> ForcedLaborOutcome | None:
        found = self.view.outcome
        return ForcedLaborOutcome(found.value) if found else None

    @public(_WITH, description="Importation + 3 calendar months (19 CFR 12.43(a)); null under UFLPA.")
    def proof_due_on(self) -> date | None:
        return self.view.clocks.proof_due_on

    @public(_WITH, description="Exclusion notice + 60 days (19 CFR 12.44(b)), unless exported or protested.")
    def abandoned_at(self) -> datetime | None:
        return self.view.clocks.abandoned_at

    @public(_WITH, description="UFLPA: presentation + 5 business days (19 CFR 151.16).")
    def uflpa_decision_due_on(self) -> date | None:
        return self.view.clocks.uflpa_decision_due_on

    @public(_WITH, description="UFLPA: deemed excluded 30 days after presentation (19 CFR 151.16).")
    def uflpa_deemed_excluded_at(self) -> datetime | None:
        return self.view.clocks.uflpa_deemed_excluded_at

    @public(_WITH)
    def released_at(self) -> datetime | None:
        return self.view.row.released_at

    @public(_WITH)
    def exclusion_noticed_at(self) -> datetime | None:
        return self.view.row.exclusion_noticed_at

    @public(_WITH)
    def protested_at(self) -> datetime | None:
        return self.view.row.protested_at

    @public(_WITH)
    def exported_at(self) -> datetime | None:
        return self.view.row.exported_at

    @public(_WITH)
    def seized_at(self) -> datetime | None:
        return self.view.row.seized_at

    @public(_WITH)
    def decision_note(self) -> str | None:
        return self.view.row.decision_note

    @public(_WITH)
    def documents(self) -> list[ForcedLaborDocumentType]:
        return [ForcedLaborDocumentType(kind=d.kind, filename=d.filename, content_type=d.content_type, size=d.size,
                                        sha256=d.digest, submitted_at=d.submitted_at) for d in self.view.documents]

    @public(_WITH)
    def supply_chain(self) -> list[SupplierType]:
        orders = self.view.matched_orders
        return [SupplierType(tier=s.tier, entity=s.entity, country=s.country, role=s.role,
                             flagged=s.matched_order_id is not None,
                             matched_order=order_node(orders[s.matched_order_id])
                             if s.matched_order_id is not None and s.matched_order_id in orders else None)
                for s in self.view.suppliers]


def detention_node(view: DetentionView) -> ForcedLaborDetentionNode:
    return ForcedLaborDetentionNode(id=strawberry.ID(to_global_id("ForcedLaborDetention", view.row.id)), view=view)


@strawberry.type(name="ForcedLaborAllegation")
class AllegationNode(Node):
    id: strawberry.ID = public_value(_ALLEGATION)
    row: strawberry.Private[ForcedLaborAllegation]
    now: strawberry.Private[datetime]

    @public(_ALLEGATION)
    def received_at(self) -> datetime:
        return self.row.received_at

    @public(_ALLEGATION)
    def merchandise(self) -> str:
        return self.row.merchandise

    @public(_ALLEGATION)
    def country(self) -> str:
        return self.row.country

    @public(_ALLEGATION)
    def status(self) -> AllegationStatus:
        return AllegationStatus(self.row.status)

    @public(_ALLEGATION, description="Codes of what 19 CFR 12.42(c) requires and the allegation lacks.")
    def deficiencies(self) -> list[str]:
        return list(self.row.deficiencies)

    @public(_ALLEGATION, description="The written advice returned with a non-conforming allegation (12.42(d)).")
    def deficiency_letter(self) -> str | None:
        return self.row.deficiency_letter

    @public(_ALLEGATION, description="Receipt + 10 days for a conforming allegation (R-FL-04).")
    def forward_due_at(self) -> datetime | None:
        return self.row.forward_due_at

    @public(_ALLEGATION)
    def forwarded_at(self) -> datetime | None:
        return self.row.forwarded_at

    @public(_ALLEGATION, description="Conforming, not forwarded, and past its 10 days at the request's now.")
    def forward_overdue(self) -> bool:
        return allegation_rules.forward_overdue(allegation_rules.AllegationStatus(self.row.status),
                                               self.row.received_at, self.now)


def allegation_node(row: ForcedLaborAllegation, now: datetime) -> AllegationNode:
    return AllegationNode(id=strawberry.ID(to_global_id("ForcedLaborAllegation", row.id)), row=row, now=now)


@strawberry.type
class ForcedLaborMetricsCell:
    order: WithholdReleaseOrderNode | None = public_value(_METRICS, description="Null: UFLPA detentions.")
    period: str = public_value(_METRICS)
    suppressed: bool = public_value(_METRICS, description=(
        "Always false: cells that fail the disclosure rules are left out of the public view, not returned."))
    shipments: int | None = public_value(_METRICS)
    value: str | None = public_value(_METRICS)
    released: int | None = public_value(_METRICS)
    exported: int | None = public_value(_METRICS)
    excluded: int | None = public_value(_METRICS)
    seized: int | None = public_value(_METRICS)
    pending: int | None = public_value(_METRICS)
    median_days_to_resolution: str | None = public_value(_METRICS)
    share_resolved_within_window: str | None = public_value(_METRICS)


@strawberry.type
class ForcedLaborMetrics:
    detailed: bool = public_value("whether the viewer has ReadForcedLaborMetrics (no suppression)")
    min_cell: int = public_value("the configured minimum count below which public cells are suppressed")
    min_importers: int = public_value("the configured minimum number of distinct importers of a public cell")
    max_importer_share: str = public_value("the configured largest share of a public cell's detentions or value one "
                                           "importer may hold (dominance rule)")
    cells: list[ForcedLaborMetricsCell] = public_value(_METRICS)


def metrics_cell(row: MetricsRow, orders: dict[str, OrderView]) -> ForcedLaborMetricsCell:
    share = row.share_resolved_within_window
    return ForcedLaborMetricsCell(
        order=order_node(orders[row.order_id]) if row.order_id in orders else None, period=row.period,
        suppressed=row.suppressed, shipments=row.shipments,
        value=f"{row.value:.2f}" if row.value is not None else None, released=row.released, exported=row.exported,
        excluded=row.excluded, seized=row.seized, pending=row.pending,
        median_days_to_resolution=str(row.median_days_to_resolution) if row.median_days_to_resolution is not None
        else None, share_resolved_within_window=str(share) if share is not None else None)


FORCED_LABOR_EVENT_SELECTION = """query EventForcedLabor($id: ID!) { node(id: $id) { ... on ForcedLaborDetention {
  id caseNumber authority entryNumber stage outcome value importedOn presentedAt proofDueOn abandonedAt
  uflpaDecisionDueOn uflpaDeemedExcludedAt releasedAt exclusionNoticedAt protestedAt exportedAt seizedAt
  order { id orderType country entity status } importer { id name } } } }"""
