"""Reading other trackers' CSV exports into service-book entries, and pitstop's own back."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from jobs.csvbook import export_csv, parse_csv
from jobs.csvmap import Unit
from jobs.errors import CsvImportError
from jobs.model import RecordSource, ServiceEntry, ServiceKind, ServiceRecord

LUBELOGGER = (
    "Date,Odometer,Description,Notes,Cost,Tags\r\n"
    '1/15/2024,45210,Oil change,"5W-30, filter","$1,234.50",oil\r\n'
    "2/3/2024,46000,Winter tyre change,,$80.00,\r\n"
)


def test_a_lubelogger_export_is_read_with_money_and_us_dates() -> None:
    parsed = parse_csv(LUBELOGGER)
    first, second = parsed.entries
    assert first == ServiceEntry(
        kind=ServiceKind.SERVICE,
        done_on="2024-01-15",
        odometer_km=45210.0,
        work="Oil change",
        cost=1234.5,
        currency="USD",
        notes="5W-30, filter oil",
    )
    assert (second.done_on, second.kind, second.cost) == (
        "2024-02-03",
        ServiceKind.TYRE_CHANGE,
        80.0,
    )


def test_road_trip_rows_take_their_kind_from_the_type_column() -> None:
    text = (
        "Type,Date,Odometer,Description,Total Price\n"
        "service,2024-03-01,1000,Oil,50\n"
        "repair,2024-04-01 10:30,1200,Brake pads,120\n"
    )
    kinds = [e.kind for e in parse_csv(text).entries]
    assert kinds == [ServiceKind.SERVICE, ServiceKind.REPAIR]


def test_miles_in_the_header_are_converted_and_a_unit_can_be_forced() -> None:
    (row,) = parse_csv("Service Date,Mileage (mi),Services\n2024-01-01,1000,Oil\n").entries
    assert row.odometer_km == 1609.3
    (forced,) = parse_csv("Date,Mileage\n2024-01-01,1000\n", unit=Unit.MI).entries
    assert forced.odometer_km == 1609.3
    (km,) = parse_csv("Date,Mileage\n2024-01-01,1000\n").entries
    assert km.odometer_km == 1000.0


def test_day_first_dates_semicolons_and_decimal_commas_with_an_explicit_mapping() -> None:
    text = (
        "Datum;Km-Stand;Arbeit;Kosten;Werkstatt\n"
        "15.01.2024;45.210;Inspektion;1.234,50 €;Autohaus Süd\n"
        "03/02/2024;46000;Öl;80;\n"
    )
    first, second = parse_csv(
        text,
        mapping={"work": "Arbeit", "cost": "Kosten", "workshop": "Werkstatt"},
        date_order="dmy",
    ).entries
    assert (first.done_on, first.odometer_km, first.cost, first.currency) == (
        "2024-01-15",
        45210.0,
        1234.5,
        "EUR",
    )
    assert (first.kind, first.workshop) == (ServiceKind.INSPECTION, "Autohaus Süd")
    assert second.done_on == "2024-02-03"


def test_slashed_dates_take_their_order_from_the_file() -> None:
    text = "Date,Description\n03/02/2024,Oil\n25/12/2024,Oil\n"
    assert [e.done_on for e in parse_csv(text).entries] == ["2024-02-03", "2024-12-25"]


def test_every_bad_row_is_named_with_its_column() -> None:
    text = (
        "Date,Odometer (mi),Cost,Type\nsoon,12,x,service\n2024-01-01,-5,3,fuel\n2024-01-02,1,2,\n"
    )
    with pytest.raises(CsvImportError) as caught:
        parse_csv(text)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {(2, "Date"), (2, "Cost"), (3, "Odometer (mi)"), (3, "Type")}
    assert "row 2, column 'Date': 'soon' is not a date" in str(caught.value)


def test_a_file_without_a_date_column_or_with_a_wrong_mapping_is_refused_at_the_header() -> None:
    with pytest.raises(CsvImportError, match="row 1: no date column"):
        parse_csv("When it was,Odo\n2024-01-01,1\n")
    with pytest.raises(CsvImportError, match="no column 'Datum'"):
        parse_csv("Date\n2024-01-01\n", mapping={"date": "Datum"})
    with pytest.raises(CsvImportError, match="unknown field 'colour'"):
        parse_csv("Date\n2024-01-01\n", mapping={"colour": "Date"})
    (row,) = parse_csv("When it was,Odo\n2024-01-01,1\n", mapping={"date": "When it was"}).entries
    assert (row.done_on, row.odometer_km) == ("2024-01-01", 1.0)


def test_the_export_reads_back_and_defuses_formulas() -> None:
    entry = ServiceEntry(
        kind=ServiceKind.REPAIR,
        done_on="2025-05-01",
        odometer_km=12_345.5,
        workshop="=HYPERLINK(1)",
        work="Brake pads, front",
        parts=("Pads", "Sensor"),
        labour_hours=1.5,
        cost=210.0,
        currency="EUR",
        notes='said "squeal"',
        rule_id="brake-wear",
    )
    record = ServiceRecord(1, "V", entry, RecordSource.OWNER, 0.0, 0.0)
    text = export_csv([record])
    assert "'=HYPERLINK(1)" in text
    (back,) = parse_csv(text).entries
    assert back == replace(entry, workshop="'=HYPERLINK(1)")


def test_a_day_ahead_of_today_is_refused_when_today_is_known() -> None:
    text = "Date,Description\n2026-05-01,Oil\n2026-05-02,Oil\n"
    assert len(parse_csv(text).entries) == 2
    with pytest.raises(CsvImportError) as caught:
        parse_csv(text, not_after=date(2026, 5, 1))
    assert [(p.row, p.column) for p in caught.value.problems] == [(3, "Date")]
