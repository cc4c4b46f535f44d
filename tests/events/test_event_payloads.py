"""What each kind of event carries: bond events reach the bond's principal and surety, not others (R-BOND-01,
R-BOND-03), and a missed-deadline event names the deadline it is about.

Runs on SQLite and PostgreSQL, against a real HTTP receiver on 127.0.0.1.
"""

from __future__ import annotations

from datetime import timedelta

from hub.events.dispatcher import utc_now
from hub.events.scheduler import scan
from tests.conftest import HubHarness
from tests.events.webhook_support import (
    Receiver,
    deliver,
    drain,
    endpoint,
    receiver_fixture,  # noqa: F401 (the "receiver" fixture)
    rows_of,
    signature_ok,
)
from tests.graphql.bond_helpers import NOTICE, file_bond, file_input, iso, today
from tests.graphql.detention_helpers import ACME, HARBOR, NORTHWIND, OFFICER, SURETY, days_ago, gql, record, step

NOTICED = "bond.insufficiency_noticed"


async def test_bond_insufficiency_notice_reaches_principal_and_surety_and_no_one_else(
    harness: HubHarness, receiver: Receiver
) -> None:
    await drain(harness.hub)
    # Activity 2, not 3: tests/graphql/test_bonds.py files Harbor's activity-3 continuous bond in the same
    # session-scoped harness, and a second one would overlap it (BOND_OVERLAP).
    spec = file_input(harness, HARBOR, type="CONTINUOUS", activityCode="2", amount="50000.00",
                      effectiveOn=iso(today() - timedelta(days=60)))
    node = (await file_bond(harness, SURETY, spec))["data"]["fileBond"]
    paths = {c: f"{c}-{harness.backend}-bond" for c in (HARBOR, SURETY, NORTHWIND)}
    async with (endpoint(harness, HARBOR, receiver, paths[HARBOR], [NOTICED]) as principal,
                endpoint(harness, SURETY, receiver, paths[SURETY], [NOTICED]) as surety,
                endpoint(harness, NORTHWIND, receiver, paths[NORTHWIND], [NOTICED]) as stranger):
        recorded = await gql(harness, OFFICER, NOTICE, {"input": {
            "bondId": node["id"], "reason": "UNPAID_DEBTS", "noticedAt": iso(days_ago(1))}})
        assert "errors" not in recorded, recorded
        await deliver(harness.hub)
        # R-BOND-03: the principal and the surety are told of the notice when it is given.
        for ep in (principal, surety):
            [got] = receiver.of(ep.path)
            assert signature_ok(ep.secret, got)
            assert got.json["type"] == NOTICED
            bond = got.json["data"]["bond"]
            assert (bond["id"], bond["number"]) == (node["id"], spec["number"])
            assert [n["reason"] for n in bond["insufficiencyNotices"]] == ["UNPAID_DEBTS"]
        # R-BOND-01: an IP owner has no part in Harbor's bond; its endpoint gets nothing.
        assert receiver.of(stranger.path) == []
        assert [r.status for r in await rows_of(harness.hub, stranger.pk)] == ["SKIPPED"]


async def test_missed_deadline_event_names_the_deadline(harness: HubHarness, receiver: Receiver) -> None:
    await drain(harness.hub)
    path = f"cbp-deadlines-{harness.backend}"
    async with endpoint(harness, OFFICER, receiver, path, ["detention.deadline_missed"]) as ep:
        node = await record(harness, presented_at=days_ago(20))
        assert "errors" not in await step(harness, "detainGoods", node["id"], at=days_ago(19.9))
        notice = await step(harness, "sendNoticeOfDetention", node["id"], at=days_ago(19))
        assert "errors" not in notice
        await scan(harness.hub, utc_now())
        await deliver(harness.hub)
        mine = [r.json for r in receiver.of(ep.path) if r.json["data"]["detention"]["id"] == node["id"]]
        # R-IPR-03: limited information was due with the notice of detention and was never released.
        [missed] = [m for m in mine if m["data"].get("deadline") == "LIMITED_INFORMATION"]
        sent_at = notice["data"]["sendNoticeOfDetention"]["noticeOfDetentionSentAt"]
        assert missed["data"]["dueAt"] == missed["timestamp"]
        assert missed["data"]["detention"]["noticeOfDetentionSentAt"] == sent_at


async def test_entry_event_reaches_surety_with_amounts_only(harness: HubHarness, receiver: Receiver) -> None:
    from tests.graphql.bond_helpers import file_bond, file_input
    from tests.graphql.test_adcvd import RECORD, _input

    await drain(harness.hub)
    # A bond of its own: the demo bonds' exposure figures stay as other tests expect them.
    bond_spec = file_input(harness, ACME, effectiveOn=iso(today() - timedelta(days=10)))
    assert "errors" not in await file_bond(harness, SURETY, bond_spec)
    bond_number = bond_spec["number"]
    recorded_type = "adcvd.entry_recorded"
    paths = {c: f"{c}-{harness.backend}-entry" for c in (SURETY, NORTHWIND)}
    async with (endpoint(harness, SURETY, receiver, paths[SURETY], [recorded_type]) as surety,
                endpoint(harness, NORTHWIND, receiver, paths[NORTHWIND], [recorded_type]) as stranger):
        spec = _input(bondNumber=bond_number, entryDate=iso(today() - timedelta(days=3)))
        assert "errors" not in await gql(harness, OFFICER, RECORD, {"input": spec})
        await deliver(harness.hub)
        [got] = [r for r in receiver.of(surety.path) if r.json["data"]["entry"]["number"] == spec["entryNumber"]]
        entry = got.json["data"]["entry"]
        # R-AD-06-SURETY: the surety of the securing bond hears of the entry: amounts and deposits, no parties
        # and no findings.
        assert entry["bondNumber"] == bond_number and entry["enteredValue"] == "1000.00"
        assert entry["importer"] is None and entry["findings"] == []
        # R-AD-06-NONE: an IP owner never receives an entry.
        assert receiver.of(stranger.path) == []
