"""Explains a detention's disclosure to its viewer: what it sees, what is withheld under which rule,
and when the next disclosure is due. The decisions come from the policies; this only words them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from hub.policy.detention_facts import RIGHTS_HOLDER, DetentionView
from hub.policy.engine import DEFAULT_DENY, Decision


@dataclass(frozen=True)
class Item:
    name: str
    action: str
    governing_rule: str  # the permit that grants it when it is granted to a right holder
    what: str


ITEMS = (
    Item("LIMITED_INFORMATION", "ReadLimitedInfo", "R-IPR-03",
         "date of importation, port of entry, description, quantity, country of origin (§ 133.21(b)(4))"),
    Item("REDACTED_IMAGES", "ReadRedactedImages", "R-IPR-04",
         "images with identifying information blacked out (§ 133.21(b)(5))"),
    Item("UNREDACTED_IMAGES", "ReadUnredactedImages", "R-IPR-06",
         "unredacted images (§ 133.21(b)(3) before seizure, (f) after)"),
    Item("PARTY_IDENTITIES", "ReadPartyIdentities", "R-IPR-09",
         "names and addresses of importer, manufacturer and exporter, and the entry number (§ 133.21(e))"),
    Item("IMPORTER_RESPONSE", "ReadImporterResponse", "R-IPR-08", "the importer's answer to the notice"),
)


@dataclass(frozen=True)
class Line:
    item: str
    rule_ids: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class Explanation:
    visible: list[Line]
    withheld: list[Line]
    next_at: datetime | None
    next_text: str | None


def explain(decide: Callable[[str], Decision], view: DetentionView) -> Explanation:
    visible, withheld = [], []
    for item in ITEMS:
        decision = decide(item.action)
        if decision.allowed:
            visible.append(Line(item.name, decision.rule_ids, item.what))
        else:
            forbids = tuple(r for r in decision.rule_ids if r != DEFAULT_DENY)
            withheld.append(Line(item.name, forbids or (item.governing_rule,),
                                 f"{item.what}: not yet, or not for you; see the rule"))
    facts = dict(view.subject.facts)
    next_at, next_text = None, None
    hidden = {line.item for line in withheld}
    if facts.get("relation") == RIGHTS_HOLDER and not facts.get("leHold"):
        if "LIMITED_INFORMATION" in hidden and not facts.get("noticeSent"):
            next_at = view.clocks.notice_due_at
            next_text = "limited information, at the latest with the notice of detention (R-IPR-03)"
        elif ("UNREDACTED_IMAGES" in hidden and facts.get("noticeSent") and not facts.get("windowLapsed")
              and not facts.get("notCounterfeit")):
            next_at = view.clocks.importer_response_due_at
            next_text = ("the importer's 7-business-day window ends; if it has not shown the goods genuine, CBP "
                         "may release unredacted images (R-IPR-06)")
        elif "PARTY_IDENTITIES" in hidden and not facts.get("seized"):
            next_text = "party names and addresses only after seizure (R-IPR-09, R-IPR-10)"
    return Explanation(visible, withheld, next_at, next_text)
