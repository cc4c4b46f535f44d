"""`hub policies check`: the policies validate against the schema and every ALLOW/DENY case holds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hub.cli import main
from hub.policy.cases import run_all
from hub.policy.engine import DEFAULT_DENY, PolicyEngine, PrincipalFacts, freeze
from hub.runtime import POLICIES_DIR


def test_policies_check_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "check"]) == 0
    out = capsys.readouterr().out
    assert "0 validation errors" in out


def test_every_case_passes_and_both_folders_have_cases() -> None:
    results = run_all(PolicyEngine(POLICIES_DIR))
    assert [r.path.name for r in results if not r.passed] == []
    assert {r.expected for r in results} == {"ALLOW", "DENY"}


def test_every_rule_has_an_id_and_a_comment_above_it() -> None:
    for path in POLICIES_DIR.glob("*.cedar"):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith(("permit", "forbid")):
                assert lines[i - 1].startswith("@id("), f"{path.name}:{i + 1} has no @id"
                assert lines[i - 2].startswith("//"), f"{path.name}:{i + 1} has no comment citing its source"


def test_a_wrong_case_makes_the_check_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, copy)
    wrong = {"principal": {"kind": "IP_OWNER", "roles": []}, "action": "ReadIorNumber",
             "resource": {"type": "Organization", "facts": {"relation": "NONE", "iorKind": "SSN"}}}
    (copy / "cases" / "ALLOW" / "ip_owner_reads_ssn_wrongly.json").write_text(json.dumps(wrong))
    assert main(["policies", "check", "--dir", str(copy)]) == 1
    assert "ip_owner_reads_ssn_wrongly" in capsys.readouterr().err


def test_a_policy_that_does_not_type_check_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "policies"
    shutil.copytree(POLICIES_DIR, copy)
    with (copy / "parties.cedar").open("a") as fh:
        fh.write('\n// bad\n@id("BAD")\npermit (principal, action == Hub::Action::"ReadOrganization", resource)'
                 ' when { resource.nosuchattribute == "x" };\n')
    assert main(["policies", "check", "--dir", str(copy)]) == 1
    assert "schema validation" in capsys.readouterr().err


def test_decisions_are_cached_per_facts_and_explained() -> None:
    engine = PolicyEngine(POLICIES_DIR)
    viewer = PrincipalFacts("IP_OWNER", frozenset({"trade"}))
    facts = freeze({"relation": "NONE", "iorKind": "IRS"})
    first = engine.decide(viewer, "ReadOrganization", "Organization", facts)
    calls = engine.cedar_calls
    for _ in range(100):
        assert engine.decide(viewer, "ReadOrganization", "Organization", facts) == first
    assert engine.cedar_calls == calls
    assert first.rule_ids == (DEFAULT_DENY,)
    assert first.policy_version == engine.version
    allowed = engine.decide(PrincipalFacts("CBP", frozenset()), "ReadOrganization", "Organization", facts)
    assert allowed.allowed and allowed.rule_ids == ("R-ORG-01",)
