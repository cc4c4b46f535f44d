"""ALLOW/DENY cases for the policies (``policies/cases/{ALLOW,DENY}/*.json``), run by ``hub policies check``.

A case file is named for why it holds, and reads::

    {"principal": {"kind": "CBP", "roles": ["officer"]},
     "action": "ReadIorNumber",
     "resource": {"type": "Organization", "facts": {"relation": "NONE", "iorKind": "SSN"}},
     "rules": ["R-ID-02"]}

Its folder says the expected decision; ``rules`` (optional) are rule ids that must decide it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hub.policy.engine import PolicyEngine, PrincipalFacts, freeze


@dataclass(frozen=True)
class CaseResult:
    path: Path
    expected: str
    actual: str
    rule_ids: tuple[str, ...]
    problem: str | None

    @property
    def passed(self) -> bool:
        return self.problem is None


def load_case_paths(directory: Path) -> list[Path]:
    return sorted((directory / "cases").glob("*/*.json"))


def run_case(engine: PolicyEngine, path: Path) -> CaseResult:
    expected = path.parent.name
    try:
        case = json.loads(path.read_text())
        principal = PrincipalFacts(case["principal"]["kind"], frozenset(case["principal"].get("roles", [])))
        resource = case["resource"]
        decision = engine.decide(principal, case["action"], resource["type"], freeze(resource["facts"]))
    except (KeyError, TypeError, ValueError) as exc:
        return CaseResult(path, expected, "ERROR", (), f"unreadable case: {exc}")
    except Exception as exc:  # a Cedar evaluation error is a failed case, not a crash of the check
        return CaseResult(path, expected, "ERROR", (), str(exc))
    actual = "ALLOW" if decision.allowed else "DENY"
    problem = None
    if expected not in ("ALLOW", "DENY"):
        problem = f"case folder must be ALLOW or DENY, not {expected}"
    elif actual != expected:
        problem = f"expected {expected}, got {actual} by {', '.join(decision.rule_ids)}"
    else:
        missing = set(case.get("rules", [])) - set(decision.rule_ids)
        if missing:
            problem = f"decided by {', '.join(decision.rule_ids)}, not by {', '.join(sorted(missing))}"
    return CaseResult(path, expected, actual, decision.rule_ids, problem)


def run_all(engine: PolicyEngine) -> list[CaseResult]:
    return [run_case(engine, path) for path in load_case_paths(engine.directory)]
