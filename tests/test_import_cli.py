"""`hub import adcvd-orders FILE` and `hub import entries FILE --json-report` through the CLI (issue 6, items 1, 3)."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import pytest

from hub.cli import _prepare, main
from hub.domain.identifiers import entry_check_digit
from hub.domain.reference import read_bytes
from hub.settings import Settings


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("import-cli")
    asyncio.run(_prepare(Settings(data_dir=data, demo=True)))
    return data


def test_orders_import_is_idempotent_and_rejects_the_malformed_case(demo_store: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_bytes(read_bytes("adcvd_orders.csv"))
    # The demo already loaded the same list: a second load changes nothing.
    assert main(["import", "adcvd-orders", str(orders), "--data-dir", str(demo_store)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["accepted"], report["updated"], report["unchanged"]) == (0, 0, 596)
    # SOURCES.md S-ADCVD-1: the source's malformed C-53-878 cannot be keyed; its flagged rows are kept.
    assert [(r["case_number"], r["code"]) for r in report["rejected"]] == [("C-53-878", "INVALID_CASE_NUMBER")]
    assert report["flagged"] == 15
    # A corrected row is an update, not a new case.
    with orders.open(encoding="utf-8", newline="") as source:
        rows = list(csv.DictReader(source))
    rows[0]["product"] = rows[0]["product"] + " (corrected)"
    with orders.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["import", "adcvd-orders", str(orders), "--data-dir", str(demo_store)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["accepted"], report["updated"]) == (0, 1)


def test_entries_import_prints_the_json_report(demo_store: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = (f"CZ4-{n}-{entry_check_digit('CZ4' + n)}" for n in ("7700001", "7700002"))
    path = tmp_path / "entries.csv"
    header = ("entry_number,entry_type,importer_ior,filer_code,port_code,entry_date,line_number,hts_number,"
              "country_of_origin,entered_value,adcvd_case_number,liquidation_date,bond_number")
    path.write_text("\n".join([
        header,
        f"{good},03,12-3456789AB,CZ4,2704,2025-03-03,1,7307.92.3010,CN,1000.00,C570068001,,",
        f"{bad},03,12-3456789AB,CZ4,2704,2025-03-03,1,7307.92.3010,CN,ten,,,",
    ]) + "\n")
    assert main(["import", "entries", str(path), "--json-report", "--org", "coastline-brokers",
                 "--data-dir", str(demo_store)]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert set(report) == {"accepted", "rejected"}
    assert report["accepted"] == 1
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [(3, "INVALID_AMOUNT")]
    assert "1 entries (1 lines) accepted, 1 rows rejected" in captured.err
    assert main(["import", "entries", str(tmp_path / "missing.csv"), "--data-dir", str(demo_store)]) == 2


def test_rates_import_adds_history_updates_in_place_and_rejects_bad_rows(demo_store: Path, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("\n".join([
        "ace_number,company_name,rate_percent,effective_from,basis",
        "C570068001,Demo Forge Co. Ltd.,12.10,2024-05-01,test admin review",  # a new date: history grows
        "A570067,No Suffix Co.,5,2024-05-01,",  # R-AD-01: a company rate needs ACCCNNNSSS
        "A570999001,Unknown Case Co.,5,2024-05-01,",
        "C570068999,Retired Suffix Co.,5,2024-05-01,",  # FACTS §4: suffix 999 retired in 2005
        "C570068001,Demo Forge Co. Ltd.,ten,2024-05-01,",
    ]) + "\n")
    assert main(["import", "adcvd-rates", str(rates), "--data-dir", str(demo_store)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] == 1
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [
        (3, "COMPANY_SUFFIX_REQUIRED"), (4, "UNKNOWN_CASE"), (5, "RETIRED_COMPANY_SUFFIX"), (6, "INVALID_RATE")]
    assert main(["import", "adcvd-rates", str(rates), "--data-dir", str(demo_store)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["accepted"], again["unchanged"]) == (0, 1)  # idempotent
    missing = tmp_path / "bad.csv"
    missing.write_text("ace_number,rate_percent\n")
    assert main(["import", "adcvd-rates", str(missing), "--data-dir", str(demo_store)]) == 2
    assert "MISSING_COLUMNS" in capsys.readouterr().err
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("case_number,country,product\nA-570-979,China,Caf\xe9\n".encode("latin-1"))
    assert main(["import", "adcvd-orders", str(latin), "--data-dir", str(demo_store)]) == 2


def test_entries_import_as_a_broker_records_only_for_its_principals(demo_store: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # R-AD-RECORD (policies/adcvd.cedar): Coastline holds Acme's power of attorney, not Harbor's.
    acme, harbor = (f"CZ4-{n}-{entry_check_digit('CZ4' + n)}" for n in ("7700011", "7700012"))
    path = tmp_path / "broker.csv"
    header = ("entry_number,entry_type,importer_ior,filer_code,port_code,entry_date,line_number,hts_number,"
              "country_of_origin,entered_value,adcvd_case_number,liquidation_date,bond_number")
    path.write_text("\n".join([
        header,
        f"{acme},01,12-3456789AB,CZ4,2704,2025-03-03,1,9403.50.9042,VN,1000.00,,,",
        f"{harbor},01,123-45-6789,CZ4,2704,2025-03-03,1,9403.50.9042,VN,1000.00,,,",
    ]) + "\n")
    assert main(["import", "entries", str(path), "--json-report", "--org", "coastline-brokers",
                 "--data-dir", str(demo_store)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] == 1
    assert [(r["row"], r["code"]) for r in report["rejected"]] == [(3, "FORBIDDEN")]


def test_entries_import_refuses_a_file_that_is_not_utf8_before_writing(demo_store: Path, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.csv"
    header = ("entry_number,entry_type,importer_ior,filer_code,port_code,entry_date,line_number,hts_number,"
              "country_of_origin,entered_value,adcvd_case_number,liquidation_date,bond_number")
    good = f"CZ4-7700021-{entry_check_digit('CZ47700021')}"
    path.write_bytes((header + "\n" + f"{good},01,12-3456789AB,CZ4,2704,2025-03-03,1,9403.50.9042,VN,1000.00,,,\n"
                      + "# Caf\xe9\n").encode("latin-1"))
    assert main(["import", "entries", str(path), "--json-report", "--data-dir", str(demo_store)]) == 2
    assert "INVALID_ENCODING" in capsys.readouterr().err
    # Nothing was written, not even the valid entry before the bad byte.
    path.write_text(header + "\n")
    missing = tmp_path / "nocol.csv"
    missing.write_text("entry_number\n")
    assert main(["import", "entries", str(missing), "--data-dir", str(demo_store)]) == 2
    assert "MISSING_COLUMNS" in capsys.readouterr().err
    good_file = tmp_path / "good.csv"
    good_file.write_text(header + "\n" + f"{good},01,12-3456789AB,CZ4,2704,2025-03-03,1,9403.50.9042,VN,1000.00,,,\n")
    assert main(["import", "entries", str(good_file), "--json-report", "--data-dir", str(demo_store)]) == 0
    assert json.loads(capsys.readouterr().out)["accepted"] == 1  # so the refused run had written nothing
