"""Pure logic of the operator app's state: CSV import parsing, tariff bands, report ranges,
error sentences, and the translation catalogs."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from apps.operator_mobile.main import CATALOGS
from apps.operator_mobile.state.catalog import parse_chargers_csv, parse_stations_csv
from apps.operator_mobile.state.errors import describe_error
from apps.operator_mobile.state.labels import deep_link
from apps.operator_mobile.state.manage import parse_bands
from apps.operator_mobile.state.reports import report_range
from backend_client import ChargerOffline, RateLimited, ValidationFailed
from backend_client.models import ReportGroup, StationPublic
from backend_client.models.system import FieldError
from shared import I18n, Language

APP = Path(__file__).resolve().parents[2] / "apps" / "operator_mobile"


def _station(id_: int, name: str) -> StationPublic:
    return StationPublic(
        id=id_, operator_id=1, name=name, address="x", latitude=0, longitude=0, tariff_id=None,
        status="active", created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip


def test_stations_csv_validates_each_line() -> None:
    lines = parse_stations_csv(
        "\ufeffName,Address,City,Latitude,Longitude\nA,1 Road,SH,31.2,121.4\nB,2 Road,SH,95,121\n"
    )
    assert [ln.line for ln in lines] == [2, 3]
    assert lines[0].request is not None and lines[0].problem is None
    assert lines[1].problem is not None and "latitude" in lines[1].problem


def test_stations_csv_without_required_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="missing columns: latitude, longitude"):
        parse_stations_csv("name,address,city\nA,1 Road,SH\n")


def test_chargers_csv_resolves_station_by_name_or_id() -> None:
    stations = [_station(7, "Harbour Plaza")]
    lines = parse_chargers_csv(
        "station,ocpp_id,vendor,model,connectors\n"
        "7,CP-1,ABB,T,1:ccs2:150;2:GBT_DC:60\n"
        "Harbour Plaza,CP-2,ABB,T,1:GBT_AC:7\n"
        "Harbour Plaza,CP-3,ABB,T,1-GBT_AC-7\n",
        stations,
    )
    assert lines[0].request is not None and lines[1].request is not None
    assert lines[2].problem is not None and lines[2].problem.startswith("connectors:")


def test_bands_parse_and_point_at_the_bad_line() -> None:
    bands = parse_bands("08:00-12:00 1.60 peak\n\n22:00-06:00 0.40")
    assert [(b.start, b.end, b.energy_price, b.label) for b in bands] == [
        ("08:00", "12:00", "1.60", "peak"),
        ("22:00", "06:00", "0.40", ""),
    ]
    with pytest.raises(ValueError, match="band line 2"):
        parse_bands("08:00-12:00 1.60\nevening 2")


def test_report_ranges_end_today() -> None:
    today = date(2026, 11, 24)  # a Tuesday
    assert report_range(ReportGroup.DAY, today) == (date(2026, 11, 11), today)
    assert report_range(ReportGroup.WEEK, today) == (date(2026, 9, 7), today)
    assert report_range(ReportGroup.MONTH, today) == (date(2025, 12, 1), today)


def test_error_sentences_are_precise() -> None:
    t = I18n.default().extended(CATALOGS)

    def en(key: str, **kw: object) -> str:
        return t.translate(Language.EN, key, **kw)

    assert describe_error(ChargerOffline("CP-1 is not connected"), en) == (
        "The charger is offline (not connected to the central system) (CP-1 is not connected)"
    )
    assert describe_error(RateLimited("slow down", retry_after=30), en).startswith(
        "Too many attempts; wait 30 s"
    )
    invalid = ValidationFailed(
        "bad", fields=[FieldError(field="body.email", problem="not an e-mail")]
    )
    assert describe_error(invalid, en) == "Some fields are wrong (email: not an e-mail)"


def test_deep_link_format() -> None:
    assert deep_link("https://go.example/", "CP-1", 2) == "https://go.example/c/CP-1/2"


def test_catalogs_complete_and_every_literal_key_exists() -> None:
    i18n = I18n.default().extended(CATALOGS)
    assert i18n.problems() == []
    used: set[str] = set()
    literal_key = re.compile(r't\(\s*"([a-z_]+\.[a-z_]+)"')
    for folder in ("views", "state"):
        for path in (APP / folder).glob("*.py"):
            used |= set(literal_key.findall(path.read_text()))
    missing = sorted(
        k for k in used if not i18n.has(k, Language.EN) or not i18n.has(k, Language.ZH_CN)
    )
    assert used and missing == []
