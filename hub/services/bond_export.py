"""The surety view as CSV (issue 5 item 5): every bond a surety writes, as surety or co-surety, in number order.

Pages through the bonds by keyset, so memory and per-page cost stay flat however many bonds there are. The
figures are the GraphQL ones (hub/services/bond_views.py); what the surety may see of each bond is decided by
the same policies, asked as the surety (GraphQL, webhooks and exports ask the same question).
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from sqlalchemy import true
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from hub.db import bond_queries as queries
from hub.policy.bond_facts import CO_SURETY, BondTies
from hub.policy.engine import PolicyEngine, PrincipalFacts
from hub.services.bond_views import BondView, build_views, org_ids
from hub.services.bonds import surety_by_code
from hub.services.parties import organizations_by_id

COLUMNS = ("bond_number", "role", "type", "purpose", "activity_code", "principal_id", "principal_name", "amount",
           "required_amount", "shortfall", "status", "insufficient_from", "open_adcvd_exposure", "secured_entries",
           "effective_on", "terminates_on", "riders")
SURETY_VIEWER = PrincipalFacts("SURETY", frozenset({"trade"}))


# CSV injection (formula injection): a spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def text_cell(value: str) -> str:
    """A free-text cell, defused: a leading quote makes spreadsheets show it as text instead of evaluating it."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def row_of(view: BondView, surety_org_id: str, policy: PolicyEngine) -> list[str]:
    row = view.row
    exposure = policy.decide(SURETY_VIEWER, "ReadBondExposure", "Bond", view.subject.facts).allowed
    return [
        row.number, CO_SURETY if row.co_surety_org_id == surety_org_id else "SURETY", row.type, row.purpose,
        row.activity_code, text_cell(row.principal_org_id), text_cell(row.principal_name), _money(row.amount),
        _money(view.sufficiency.requirement.required), _money(view.sufficiency.shortfall), view.status.value,
        view.insufficient_from.isoformat() if view.insufficient_from else "",
        _money(view.exposure.open_adcvd) if exposure else "", str(view.exposure.entries) if exposure else "",
        row.effective_on.isoformat(), row.terminates_on.isoformat() if row.terminates_on else "",
        text_cell(";".join(row.riders)),
    ]


async def export_surety_bonds(sessions: async_sessionmaker[AsyncSession], policy: PolicyEngine, surety_code: str,
                              now: datetime, out: TextIO, page_size: int = 500) -> int:
    """Writes the CSV (header first); returns the number of bonds. UNKNOWN_SURETY for an unknown code."""
    async with sessions() as session:
        surety = await surety_by_code(session, surety_code)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    ties = BondTies(surety.id, {})
    after: list[str] | None = None
    count = 0
    while True:
        async with sessions() as session:
            rows = await queries.bond_page(session, true(), queries.BondOrder.NUMBER, after, page_size, surety.id)
            orgs = await organizations_by_id(session, org_ids(rows))
            views = await build_views(session, rows, ties, orgs, now)
        for view in views:
            if policy.decide(SURETY_VIEWER, "ReadBond", "Bond", view.subject.facts).allowed:
                writer.writerow(row_of(view, surety.id, policy))
                count += 1
        if len(rows) < page_size:
            return count
        after = queries.sort_key(rows[-1], queries.BondOrder.NUMBER)
