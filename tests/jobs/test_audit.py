"""The audit log on SQLite and PostgreSQL: entries kept as given, read newest first with
filters and paging, long text cut, old entries purged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jobs.audit import MAX_TEXT, AuditEntry, AuditQuery
from jobs.open import open_audit_log
from jobs.sql.audit import SqlAuditLog

T0 = 1_767_225_600.0


@pytest.fixture
def audit(job_store_url: str) -> Iterator[SqlAuditLog]:
    log = open_audit_log(job_store_url)
    assert isinstance(log, SqlAuditLog)
    yield log
    log.close()


def _fill(audit: SqlAuditLog) -> list[int]:
    entries = [
        AuditEntry(
            T0,
            "key 1 'desk' (workshop) via session",
            "POST /jobs/{job_id}/accept",
            "job 7",
            "ok",
            "10.0.0.9",
        ),
        AuditEntry(
            T0 + 10,
            "rules",
            "job.open",
            "job 8, vehicle WPITSTOPDEMO00001",
            detail={"rule": "lv-battery-low"},
        ),
        AuditEntry(T0 + 20, "anonymous", "POST /jobs/{job_id}/cancel", "job 7", "401"),
        AuditEntry(T0 + 30, "cli root@box", "admin keys revoke", "3"),
    ]
    return [audit.record(entry) for entry in entries]


def test_entries_come_back_newest_first_as_recorded(audit: SqlAuditLog) -> None:
    ids = _fill(audit)
    entries = audit.entries(AuditQuery())
    assert [e.id for e in entries] == ids[::-1]
    opened = entries[2]
    assert (opened.actor, opened.action, opened.target, opened.outcome) == (
        "rules",
        "job.open",
        "job 8, vehicle WPITSTOPDEMO00001",
        "ok",
    )
    assert opened.detail == {"rule": "lv-battery-low"}
    assert entries[3].address == "10.0.0.9"


@pytest.mark.parametrize(
    ("query", "actions"),
    [
        (AuditQuery(since=T0 + 10, until=T0 + 30), ["POST /jobs/{job_id}/cancel", "job.open"]),
        (AuditQuery(actor="workshop"), ["POST /jobs/{job_id}/accept"]),
        (AuditQuery(action="/jobs/"), ["POST /jobs/{job_id}/cancel", "POST /jobs/{job_id}/accept"]),
        (AuditQuery(target="job 7"), ["POST /jobs/{job_id}/cancel", "POST /jobs/{job_id}/accept"]),
        (AuditQuery(actor="%"), []),  # a LIKE wildcard is text, not a pattern
        (AuditQuery(limit=1), ["admin keys revoke"]),
    ],
)
def test_filters(audit: SqlAuditLog, query: AuditQuery, actions: list[str]) -> None:
    _fill(audit)
    assert [e.action for e in audit.entries(query)] == actions


def test_paging_back_with_before_id(audit: SqlAuditLog) -> None:
    ids = _fill(audit)
    page = audit.entries(AuditQuery(limit=2, before_id=ids[2]))
    assert [e.id for e in page] == [ids[1], ids[0]]


def test_long_text_is_cut_not_refused(audit: SqlAuditLog) -> None:
    audit.record(AuditEntry(T0, "x" * 5000, "act", "y" * 600))
    (entry,) = audit.entries(AuditQuery())
    assert len(entry.actor) == MAX_TEXT
    assert len(entry.target) == MAX_TEXT
    assert entry.actor.endswith("…")


def test_purge_deletes_only_older_entries(audit: SqlAuditLog) -> None:
    _fill(audit)
    assert audit.purge(older_than=T0 + 15) == 2
    assert [e.action for e in audit.entries(AuditQuery())] == [
        "admin keys revoke",
        "POST /jobs/{job_id}/cancel",
    ]
