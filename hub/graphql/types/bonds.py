"""GraphQL types for bonds. Thin: every restricted field names its Cedar action; amounts are decimal strings."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from hub.db.bond_tables import BondSecuredEntry
from hub.graphql.guard import guarded, public, public_value
from hub.graphql.relay import Node, check_first, to_global_id
from hub.policy.facts import Subject
from hub.services.bond_views import BondView, NoticeView, Sufficiency

_WITH_BOND = "shown with the bond, which ReadBond allowed (row scope bonds_visible_to)"
_ON_FORM_301 = "printed on the bond (CBP Form 301), which ReadBond allowed"


def money(value: Decimal | None) -> str | None:
    """Decimal strings with 2 decimals: never a float on the wire."""
    return None if value is None else f"{value:.2f}"


@strawberry.enum(name="BondType")
class BondKind(enum.Enum):
    CONTINUOUS = "CONTINUOUS"
    SINGLE_TRANSACTION = "SINGLE_TRANSACTION"


@strawberry.enum
class BondPurpose(enum.Enum):
    GENERAL = "GENERAL"
    IPR_SAMPLE = "IPR_SAMPLE"


@strawberry.enum
class BondStatus(enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    INSUFFICIENT = "INSUFFICIENT"
    TERMINATED = "TERMINATED"


@strawberry.enum
class BondOrder(enum.Enum):
    NUMBER = "NUMBER"
    PRINCIPAL = "PRINCIPAL"
    AMOUNT_DESC = "AMOUNT_DESC"


@strawberry.type
class BondPrincipal:
    id: strawberry.ID = public_value(_ON_FORM_301)
    name: str = public_value(_ON_FORM_301)


@strawberry.type
class Surety:
    code: str | None = public_value("surety codes identify sureties on every bond (FACTS §3)")
    name: str = public_value(_ON_FORM_301)


@strawberry.type
class SufficiencyInput:
    name: str = public_value(_WITH_BOND)
    value: str = public_value(_WITH_BOND)


@strawberry.type
class BondSufficiency:
    """What the guide in force requires of the bond now, from which inputs (R-BOND-02, -04, -05)."""

    bond_number: str = public_value(_WITH_BOND)
    as_of: datetime = public_value(_WITH_BOND)
    rule_id: str = public_value(_WITH_BOND)
    basis: str = public_value(_WITH_BOND, description="The formula as applied, e.g. max(50000, roundup(55000)).")
    guide_id: str | None = public_value(_WITH_BOND, description="The bond guide in force (bond_guides.json).")
    guide_version: str = public_value(_WITH_BOND)
    required_amount: str | None = public_value(_WITH_BOND, description="Null when no guide sets an amount.")
    current_amount: str = public_value(_WITH_BOND)
    shortfall: str | None = public_value(_WITH_BOND)
    sufficient: bool | None = public_value(_WITH_BOND)
    inputs: list[SufficiencyInput] = public_value(_WITH_BOND)


def sufficiency_type(number: str, s: Sufficiency, now: datetime) -> BondSufficiency:
    r = s.requirement
    return BondSufficiency(
        bond_number=number, as_of=now, rule_id=r.rule_id, basis=r.basis, guide_id=r.guide_id,
        guide_version=s.guide_version, required_amount=money(r.required), current_amount=f"{s.amount:.2f}",
        shortfall=money(s.shortfall), sufficient=s.sufficient,
        inputs=[SufficiencyInput(name=k, value=v) for k, v in r.inputs])


@strawberry.type
class InsufficiencyNotice:
    """CBP's letter of insufficiency (R-BOND-03): principal and surety see it as soon as it is recorded."""

    id: strawberry.ID = public_value(_WITH_BOND)
    noticed_at: datetime = public_value(_WITH_BOND)
    reason: str = public_value(_WITH_BOND)
    required_amount: str | None = public_value(_WITH_BOND)
    note: str | None = public_value(_WITH_BOND)
    insufficient_at: datetime = public_value(_WITH_BOND, description="Notice + 15 days (R-BOND-03).")
    takes_effect: bool = public_value(_WITH_BOND, description="False once superseded within the 15 days.")
    superseded_at: datetime | None = public_value(_WITH_BOND)


def notice_type(n: NoticeView) -> InsufficiencyNotice:
    return InsufficiencyNotice(
        id=strawberry.ID(to_global_id("BondInsufficiencyNotice", n.row.id)), noticed_at=n.row.noticed_at,
        reason=n.row.reason, required_amount=money(n.row.required_amount), note=n.row.note,
        insufficient_at=n.insufficient_at, takes_effect=n.takes_effect, superseded_at=n.row.superseded_at)


@strawberry.type
class SecuredEntry:
    entry_number: str = public_value("listed under securedEntries, which ReadBondExposure allowed")
    entry_date: date = public_value("listed under securedEntries, which ReadBondExposure allowed")
    entered_value: str = public_value("listed under securedEntries, which ReadBondExposure allowed")
    dtf: str = public_value("listed under securedEntries, which ReadBondExposure allowed")
    adcvd_bonded: bool = public_value("listed under securedEntries, which ReadBondExposure allowed")
    adcvd_open: str = public_value("listed under securedEntries, which ReadBondExposure allowed")
    surety_code: str | None = public_value("R-BOND-05: the surety code on bonded AD/CVD lines")


def secured_entry_type(e: BondSecuredEntry) -> SecuredEntry:
    return SecuredEntry(entry_number=e.entry_number, entry_date=e.entry_date, entered_value=f"{e.entered_value:.2f}",
                        dtf=f"{e.dtf:.2f}", adcvd_bonded=e.adcvd_bonded, adcvd_open=f"{e.adcvd_open:.2f}",
                        surety_code=e.surety_code)


# Per page: (bond id, first) -> that bond's newest entries, one query for every bond of the page.
EntriesLoader = DataLoader[tuple[str, int], list[BondSecuredEntry]]


@strawberry.type(name="Bond")
class BondNode(Node):
    id: strawberry.ID = public_value(_WITH_BOND)
    view: strawberry.Private[BondView]
    entries: strawberry.Private[EntriesLoader]

    @property
    def subject(self) -> Subject:
        return self.view.subject

    @public(_ON_FORM_301, description="CBP bond number (format: hub/reference/bond_guides.json).")
    def number(self) -> str:
        return self.view.row.number

    @public(_ON_FORM_301)
    def type(self) -> BondKind:
        return BondKind(self.view.row.type)

    @public(_ON_FORM_301)
    def purpose(self) -> BondPurpose:
        return BondPurpose(self.view.row.purpose)

    @public(_ON_FORM_301, description="CBP Form 301 activity code (FACTS §3), e.g. 1 importer or broker.")
    def activity_code(self) -> str:
        return self.view.row.activity_code

    @public(_WITH_BOND, description="From dates and notices at the request's now (R-BOND-03).")
    def status(self) -> BondStatus:
        return BondStatus(self.view.status.value)

    @public(_ON_FORM_301)
    def amount(self) -> str:
        return f"{self.view.row.amount:.2f}"

    @public(_WITH_BOND, description="What the guide in force requires now (R-BOND-02/-04/-05); null if none.")
    def required_amount(self) -> str | None:
        return money(self.view.sufficiency.requirement.required)

    @public(_WITH_BOND, description="max(0, required - amount).")
    def shortfall(self) -> str | None:
        return money(self.view.sufficiency.shortfall)

    @public(_WITH_BOND)
    def sufficiency(self, info: Info[Any, None]) -> BondSufficiency:
        return sufficiency_type(self.view.row.number, self.view.sufficiency, info.context.now)

    @public(_ON_FORM_301)
    def principal(self) -> BondPrincipal:
        row = self.view.row
        return BondPrincipal(id=strawberry.ID(to_global_id("Organization", row.principal_org_id)),
                             name=row.principal_name)

    @public(_ON_FORM_301)
    def surety(self) -> Surety:
        org = self.view.surety
        return Surety(code=org.surety_code if org else None, name=org.name if org else "")

    @public(_ON_FORM_301)
    def co_surety(self) -> Surety | None:
        org = self.view.co_surety
        return Surety(code=org.surety_code, name=org.name) if org else None

    @public(_ON_FORM_301)
    def effective_on(self) -> date:
        return self.view.row.effective_on

    @public(_ON_FORM_301)
    def terminates_on(self) -> date | None:
        return self.view.row.terminates_on

    @public(_ON_FORM_301)
    def riders(self) -> list[str]:
        return list(self.view.row.riders)

    @public(_WITH_BOND, description="When a pending notice makes the bond INSUFFICIENT (notice + 15 days).")
    def insufficient_from(self) -> datetime | None:
        return self.view.insufficient_from

    @public("R-BOND-03: principal and surety both see CBP's notices, shown with the bond ReadBond allowed")
    def insufficiency_notices(self) -> list[InsufficiencyNotice]:
        return [notice_type(n) for n in self.view.notices]

    @public(_WITH_BOND)
    def supersedes(self) -> str | None:
        return self.view.supersedes_number

    @public(_WITH_BOND)
    def superseded_by(self) -> str | None:
        return self.view.superseded_by_number

    @guarded("ReadBondExposure", description="Open AD/CVD of the entries this bond secures (R-BOND-01 surety).")
    def open_exposure(self) -> str | None:
        return money(self.view.exposure.open_adcvd)

    @guarded("ReadBondExposure")
    def secured_entry_count(self) -> int | None:
        return self.view.exposure.entries

    @guarded("ReadBondExposure", empty=[], description="Entries this bond secures, newest first.")
    async def secured_entries(self, info: Info[Any, None], first: int = 50) -> list[SecuredEntry]:
        check_first(first, info.context.hub.settings.page_size_max)
        return [secured_entry_type(e) for e in await self.entries.load((self.view.row.id, first))]


def bond_node(view: BondView, entries: EntriesLoader) -> BondNode:
    return BondNode(id=strawberry.ID(to_global_id("Bond", view.row.id)), view=view, entries=entries)


# What a bond event carries to a subscriber (for hub/events/payload.py; rendered through the same guards).
BOND_EVENT_SELECTION = """query EventBond($id: ID!) { node(id: $id) { ... on Bond {
  id number type activityCode status amount requiredAmount shortfall insufficientFrom
  principal { id name } surety { code name }
  insufficiencyNotices { id noticedAt reason requiredAmount insufficientAt takesEffect } } } }"""
