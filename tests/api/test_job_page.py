"""The page builders as pure functions: the nav's badge, the job page for owners (plain words,
the slot in the workshop's own time, the estimate and never a price) and for workshops (the
evidence in words), the timeline's attribution, and the fleet page's rows and filters. Jobs
come from a real SQLite job store filled through its public methods."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from api import job_views as views
from api.fleet import fleet_rows
from api.fleet_page import Filters, Home, home_page
from api.html import SIGNED_IN, Badge, document
from api.job_page import JobView, job_page, slot_text
from api.job_timeline import steps
from api.network_schemas import HandoffOut
from ingest.open import open_store
from jobs.model import JobAction, JobDraft, Severity
from jobs.network import JobEvent
from jobs.open import open_job_store
from jobs.store import JobStore
from pitstop.codec import Sample, TelemetryBatch

NOW = 1_764_201_600.0  # Thursday 2025-11-27T00:00:00Z
SLOT = NOW + 33 * 3600  # Friday 09:00 UTC, 10:00 in Berlin
VIN = "WPITSTOPUNIT00001"
LV = "Vehicle.LowVoltageBattery.CurrentVoltage"


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    jobs = open_job_store("sqlite:///" + str(tmp_path / "jobs.db"))
    workshop = jobs.add_workshop("Garage Süd", "Hauptstr. 1, Berlin", (), timezone="Europe/Berlin")
    owner = jobs.add_owner("Ben", "private")
    jobs.register_vehicle(VIN, owner.id, "Ben's van")
    draft = JobDraft(
        vin=VIN,
        rule_id="dtc-mil",
        title="Engine warning lamp on",
        severity=Severity.CRITICAL,
        fired_at=NOW - 60,
        diagnosis={
            "summary": "The engine reports a misfire.",
            "parts": [{"name": "Spark plug", "quantity": 4}],
            "labour_hours": 1.5,
        },
        evidence={
            "trigger": {
                "signal": LV,
                "condition": "< 11.8",
                "hold_s": 20,
                "value": 11.71,
                "lamps": ["mil"],
                "signals": [LV],
                "hold": "20s",
                "severity": "critical",
                "kind": "threshold",
            },
            "lamp_on": "mil",
            "forecast": {"at": NOW + 9 * 86400, "value": 11.8},
            "profile_hash": "abc123",
            "window": {LV: [[NOW - 100, 12.0], [NOW - 90, 11.7]]},
        },
    )
    job, _ = jobs.open_job(draft, workshop.id, now=NOW - 50)
    assert jobs.book(job.id, workshop.id, SLOT, SLOT + 3600, now=NOW - 40) is not None
    yield jobs
    jobs.close()


def view(jobs: JobStore, *, plain: bool, technical: bool, done: str | None = None) -> JobView:
    job = jobs.list_jobs()[0]
    detail = views.detail(jobs, job)
    place = views.list_workshops(jobs)[0]
    found = steps(jobs.events(job.id), detail.handoffs, ("Owner", "Ben"), job.outcome)
    return JobView(
        detail, ["confirm", "cancel"], "t" * 64, plain, technical, found, place, done=done
    )


def test_the_nav_names_who_is_signed_in_and_escapes_it() -> None:
    assert "Signed in as" not in document("Page")
    token = SIGNED_IN.set(Badge("Workshop", "<b>Nord</b>"))
    try:
        page = document("Page")
    finally:
        SIGNED_IN.reset(token)
    assert "Signed in as <strong>Workshop</strong> · &lt;b&gt;Nord&lt;/b&gt;" in page


def test_the_owner_reads_plain_words_with_the_slot_in_the_workshops_time(store: JobStore) -> None:
    page = job_page(view(store, plain=True, technical=False))
    text = text_of(page)
    assert "The engine reports a misfire." in text
    assert "Stop driving as soon as it is safe, and call the workshop." in text
    assert "Friday 28 November 2025, 10:00 to 11:00 (Europe/Berlin time)" in text
    assert "Garage Süd , Hauptstr. 1, Berlin" in text
    assert "Estimate: about 1.5 h of work; parts: 4 x Spark plug." in text
    assert "€" not in text  # pitstop holds no prices and names none
    assert "hold_s" not in text
    assert "['" not in text
    assert LV not in text
    assert "waiting for the owner to confirm" in text
    assert 'name="reason" required="required"' in page
    assert 'name="confirm" value="yes" required="required"' in page


def test_the_workshop_reads_the_evidence_in_words(store: JobStore) -> None:
    text = text_of(job_page(view(store, plain=False, technical=True)))
    assert "Held for 20 s" in text
    assert "Condition below 11.8 V" in text
    assert "Value 11.71 V" in text
    assert "Lamps MIL" in text
    assert "Signals Low-voltage battery voltage" in text
    assert "Kind threshold" in text
    assert "Hold 20s" not in text  # said once, as "Held for"
    assert "Warning lamp on MIL" in text
    assert "Forecast At: 2025-12-06 00:00:00 UTC; Value: 11.8" in text
    assert "Vehicle profile abc123" in text
    assert "['" not in text
    assert "{'" not in text
    assert "What is wrong" not in text


def test_the_message_after_an_action_is_a_status_and_only_a_known_one(store: JobStore) -> None:
    page = job_page(view(store, plain=True, technical=False, done="confirm"))
    assert '<p role="status" class="flash">Booking confirmed.' in page
    forged = job_page(view(store, plain=True, technical=False, done="<script>"))
    assert 'role="status"' not in forged
    assert "<script>" not in forged.split("</head>")[1].replace('<script src="', "")


def test_the_timeline_names_who_did_each_step(store: JobStore) -> None:
    job = store.list_jobs()[0]
    store.act(job.id, JobAction.CONFIRM, NOW - 30)
    store.act(job.id, JobAction.CANCEL, NOW - 20, note="Sold the van")
    detail = views.detail(store, job)
    found = steps(store.events(job.id), detail.handoffs, ("Owner", "Ben"))
    assert [(s.role, s.name, s.what) for s in found] == [
        ("pitstop", "automatic", "found the fault and opened the job"),
        ("pitstop", "automatic", "booked a workshop slot at Garage Süd"),
        ("Owner", "Ben", "confirmed the booking"),
        ("Owner", "Ben", "cancelled the job"),
    ]
    assert found[-1].note == "Sold the van"


def test_a_rejection_is_the_old_workshops_and_later_steps_the_new_ones() -> None:
    events = [
        JobEvent(1, 10.0, "open", None, "proposed", ""),
        JobEvent(1, 11.0, "book", "proposed", "proposed", "workshop 1"),
        JobEvent(1, 12.0, "reject", "proposed", "proposed", "no bay"),
        JobEvent(1, 12.0, "reoffer", "proposed", "proposed", "next best"),
        JobEvent(1, 13.0, "accept", "confirmed", "accepted", ""),
    ]
    handoffs = [
        HandoffOut(at=11.0, kind="offered", workshop_id=1, workshop="Nord", reason=""),
        HandoffOut(at=12.0, kind="declined", workshop_id=1, workshop="Nord", reason="no bay"),
        HandoffOut(at=12.0, kind="offered", workshop_id=2, workshop="Süd", reason=""),
    ]
    found = steps(events, handoffs, ("Owner", "Ben"))
    assert [(s.name, s.note) for s in found[2:]] == [
        ("Nord", "no bay"),
        ("automatic", ""),
        ("Süd", ""),
    ]


def test_the_move_form_sends_utc_and_lets_the_browser_speak_its_zone(store: JobStore) -> None:
    page = job_page(replace(view(store, plain=True, technical=False), actions=["move"]))
    assert 'value="2025-11-28T09:00" data-utc=""' in page  # UTC without JavaScript (time.js)
    assert 'New time (<span data-zone="">UTC</span>)' in page
    assert "Friday 28 November 2025, 10:00 to 11:00 (Europe/Berlin time)" in page  # the garage's


def test_slot_text_falls_back_to_utc_for_an_unknown_zone() -> None:
    assert slot_text(SLOT, None, "Mars/Olympus") == "Friday 28 November 2025, 09:00 (UTC time)"


def test_the_fleet_shows_the_worst_first_and_filters(store: JobStore, tmp_path: Path) -> None:
    telemetry = open_store("sqlite:///" + str(tmp_path / "telemetry.db"))
    healthy = "WPITSTOPUNIT00002"
    for vin, volts in ((healthy, 12.6), (VIN, 11.7)):
        telemetry.write_batch(TelemetryBatch(vin, 1, "p", (Sample(LV, NOW - 10, volts),)))
    fleet = fleet_rows(telemetry, store, lambda vin: True)
    assert [(r.vin, r.health, r.name) for r in fleet.rows] == [
        (VIN, "critical", "Ben's van"),
        (healthy, "ok", ""),
    ]
    assert fleet.columns == [LV]
    assert Filters.of("critical", "any", "").keeps(fleet.rows[0])
    assert not Filters.of("critical", "any", "").keeps(fleet.rows[1])
    assert Filters.of("ok", "any", "unit00002").keeps(fleet.rows[1])
    assert not Filters.of("any", "online", "").keeps(fleet.rows[1])  # never reported
    assert Filters.of("<bad>", "x", "").health == "any"
    page = home_page(Home("Fleet", fleet, [], Filters.of("critical", "any", "")))
    assert page.count("<tr data-vin=") == 1
    assert ">Critical fault<" in page
    assert f'href="/vehicles/{VIN}/page"' in page
    assert "11.7 V" in page
    telemetry.close()
