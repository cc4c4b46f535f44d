"""The public list of Withhold Release Orders and Findings (R-FL-01; 19 CFR 12.42(e), (f); FACTS §6.1, §6.4):
parsing the CBP list, status with history, and matching supplier names against listed entities.

Pure: text in, records out. The list's provenance is hub/reference/SOURCES.md (S-WRO-1 .. S-WRO-10); its known
errors stay as they are and are flagged (``data_quality_flag``), never silently corrected.

Status: CBP reports ACTIVE, MODIFIED and REVOKED (FACTS §6.4). The source also says "Superseded by Finding" (mapped
to MODIFIED: the goods now fall under the later Finding), "Status not verified" and "Finding issued (later status not
verified here)" (mapped to ACTIVE with ``status_verified`` false). The source's own words are kept
(``status_in_source``) so the mapping can be audited.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from hub.errors import InvalidInput


class OrderType(enum.StrEnum):
    WRO = "WRO"  # § 12.42(e): information reasonably but not conclusively indicates forced labor
    FINDING = "FINDING"  # § 12.42(f): published in the Customs Bulletin and the Federal Register


class OrderStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    MODIFIED = "MODIFIED"
    REVOKED = "REVOKED"


# Legal basis shown as each order's citation: the list carries no FR or T.D. numbers (FACTS §6.4 calls the column
# set "UNCONFIRMED"), so the citation is the regulation plus the source the row was transcribed from.
LEGAL_BASIS = {OrderType.WRO: "19 U.S.C. 1307; 19 CFR 12.42(e)",
               OrderType.FINDING: "19 U.S.C. 1307; 19 CFR 12.42(f) (published in the Customs Bulletin and FR)"}
COLUMNS = ("effective_date", "date_precision", "country", "entity_or_merchandise", "industry", "order_type",
           "status", "status_note", "source_ref")
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
# SOURCES.md S-WRO-1 "Known problems, flagged in status_note": wrong date, stale status, merged rows. Rows whose
# note says so carry data_quality_flag; the text is kept as it is.
_KNOWN_PROBLEM = re.compile(r"transcription error|likely stale|appears to merge|verify", re.IGNORECASE)


@dataclass(frozen=True)
class StatusChange:
    status: OrderStatus
    effective_on: date | None
    note: str


@dataclass(frozen=True)
class OrderRecord:
    key: str  # stable across imports: sha256 of date, type, country and scope (the list has no id)
    order_type: OrderType
    effective_on: date
    date_precision: str  # "day" | "month" (YYYY-MM in the source; the 1st of the month here)
    country: str
    scope: str  # entity_or_merchandise as in the source
    entity: str | None
    merchandise: str | None
    industry: str
    status: OrderStatus
    status_in_source: str
    status_verified: bool
    status_note: str
    source_ref: str
    data_quality_flag: bool
    history: tuple[StatusChange, ...]

    @property
    def citation(self) -> str:
        return f"{LEGAL_BASIS[self.order_type]}; source {self.source_ref} (hub/reference/SOURCES.md)"


def _effective(text: str, precision: str) -> date:
    try:
        if precision == "month":
            year, month = text.split("-")
            return date(int(year), int(month), 1)
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"bad effective_date {text!r}", code="INVALID_WRO_ROW") from None


def map_status(status: str, note: str) -> tuple[OrderStatus, bool, date | None]:
    """(status, verified, date of the change) from the source's words."""
    low = status.strip().lower()
    dates = [date.fromisoformat(d) for d in _ISO_DATE.findall(f"{status} {note}")]
    if low.startswith("revoked"):
        return OrderStatus.REVOKED, True, dates[0] if dates else None
    if low.startswith("modified") or low.startswith("superseded"):
        return OrderStatus.MODIFIED, True, dates[0] if dates else None
    if low.startswith("active"):
        return OrderStatus.ACTIVE, True, None
    if "not verified" in low:
        return OrderStatus.ACTIVE, False, None
    raise InvalidInput(f"unknown status {status!r}", code="INVALID_WRO_ROW")


def split_scope(scope: str) -> tuple[str | None, str | None]:
    """(entity, merchandise): a trailing "(...)" names the goods; "All ...", "Region-wide ..." and "... produced in
    ..." rows name goods, not an entity (FACTS §6.4: scope can be an entity, a region or a country)."""
    text = scope.strip()
    low = text.lower()
    if low.startswith(("all ", "region-wide", "tobacco produced")) or " produced in " in low:
        return None, text
    match = re.fullmatch(r"(.+?)\s*\(([^()]*)\)", text)
    if match and not match.group(2).lower().startswith("shanghai no"):  # "(Shanghai No.4 Prison)" is an alias
        return match.group(1).strip(), match.group(2).strip()
    return text, None


def order_key(order_type: str, effective: str, country: str, scope: str) -> str:
    raw = "\x1f".join((order_type.upper(), effective, country.strip(), scope.strip()))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def parse_row(row: dict[str, str]) -> OrderRecord:
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        raise InvalidInput(f"missing columns {missing}", code="INVALID_WRO_FILE")
    try:
        order_type = OrderType(row["order_type"].strip().upper())
    except ValueError:
        raise InvalidInput(f"unknown order type {row['order_type']!r}", code="INVALID_WRO_ROW") from None
    precision = row["date_precision"].strip() or "day"
    effective = _effective(row["effective_date"].strip(), precision)
    status, verified, changed_on = map_status(row["status"], row["status_note"])
    history = [StatusChange(OrderStatus.ACTIVE, effective, "issued")]
    if status is not OrderStatus.ACTIVE:
        history.append(StatusChange(status, changed_on, row["status"].strip()))
    scope = row["entity_or_merchandise"].strip()
    entity, merchandise = split_scope(scope)
    return OrderRecord(
        key=order_key(order_type.value, row["effective_date"].strip(), row["country"], scope),
        order_type=order_type, effective_on=effective, date_precision=precision, country=row["country"].strip(),
        scope=scope, entity=entity, merchandise=merchandise, industry=row["industry"].strip(), status=status,
        status_in_source=row["status"].strip(), status_verified=verified, status_note=row["status_note"].strip(),
        source_ref=row["source_ref"].strip(), data_quality_flag=bool(_KNOWN_PROBLEM.search(row["status_note"])),
        history=tuple(history))


def parse_csv(text: str) -> list[OrderRecord]:
    """Every row of a list in the shape of cbp_wro_findings.csv. Codes: INVALID_WRO_FILE, INVALID_WRO_ROW."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or any(c not in reader.fieldnames for c in COLUMNS):
        raise InvalidInput(f"a WRO list has the columns {list(COLUMNS)}", code="INVALID_WRO_FILE")
    out = []
    for n, row in enumerate(reader, start=2):
        try:
            out.append(parse_row(row))
        except InvalidInput as exc:
            raise InvalidInput(f"line {n}: {exc.message}", code=exc.code) from None
    return out


# ------------------------------------------------------------------------------------------ name matching --
# How the Hub flags a supplier (item 3): names are normalized - Unicode folded to ASCII, lower case, "&" -> "and",
# punctuation to spaces, and legal-form words (co, ltd, inc, bhd, sdn, ...) dropped - then a supplier matches an order
# when its normalized name equals one of the order's normalized names, or when one contains the other as a whole-word
# sequence of at least two words (so "Hoshine Silicon" matches "Hoshine Silicon Industry Co., Ltd." but "Silicon"
# alone matches nothing). An order's names are its entity and each "a/k/a" or ";"-separated alias. Only orders whose
# status is ACTIVE or MODIFIED and that name an entity take part; a flag is a lead for CBP, not a decision.

_LEGAL_FORMS = frozenset({
    "co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "plc", "bhd", "berhad",
    "sdn", "pte", "gmbh", "sa", "de", "cv", "doo", "the", "and", "subsidiaries", "affiliates", "its", "group",
})
_MIN_WORDS = 2


def normalize_name(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower().replace("&", " and ")
    words = re.sub(r"[^a-z0-9]+", " ", folded).split()
    return " ".join(w for w in words if w not in _LEGAL_FORMS)


def entity_names(entity: str) -> tuple[str, ...]:
    """The normalized names an entity goes by: the text split on a/k/a, ";" and a trailing parenthesis."""
    parts = re.split(r"\ba/k/a\b|;|\(|\)", entity, flags=re.IGNORECASE)
    names = {normalize_name(p) for p in parts}
    return tuple(sorted(n for n in names if len(n.split()) >= _MIN_WORDS))


def _contains(longer: list[str], shorter: list[str]) -> bool:
    k = len(shorter)
    return any(longer[i:i + k] == shorter for i in range(len(longer) - k + 1))


def names_match(supplier: str, listed: str) -> bool:
    """Both already normalized; see the comment above for the rule."""
    if not supplier or not listed:
        return False
    if supplier == listed:
        return True
    a, b = supplier.split(), listed.split()
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= _MIN_WORDS and _contains(long_, short)
