"""The disk spool: every message is written here before it is published, and deleted only when
the cloud's ``ack`` names its sequence number.

One SQLite file in WAL mode with ``synchronous=FULL``. WAL with ``NORMAL`` already survives a
SIGKILL of the gateway at any moment, but a commit can be lost to a power cut, and a car's
gateway loses power abruptly whenever the ignition or the 12 V supply goes; a message the
gateway has "spooled" must stay spooled. ``FULL`` costs one fsync per commit, and there is one
commit per batch (about one a second) plus one per group of acks: negligible.

Sequence numbers come from a counter in the ``meta`` table, advanced in the same transaction
that stores the payload, so they strictly increase across restarts, also after every entry was
acknowledged and deleted. The payload is built by a callback once the number is known (the
number is inside the payload).

Each spool file has an instance id (``instance``), a random number made when the file is
created and kept in ``meta``; the gateway sends it in every message (``inst``, see
``pitstop.codec``), so a reinstalled gateway (a new spool file, sequence numbers from 1 again)
never collides with what its old spool sent. A file made before instance ids (it has sent
something already) keeps the legacy instance, ``""``: its numbers go on where they were.

The spool is bounded in bytes (payload bytes; SQLite's own overhead comes on top). An append
that does not fit first deletes the oldest entries of the lowest priority, in the same
transaction, and adds them to the persisted ``dropped`` counter: the CAN reader never waits
for the network. An entry larger than the whole bound is still stored (alone).
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from gateway.errors import SpoolError
from pitstop.topics import Kind

log = logging.getLogger(__name__)

MIB = 1024 * 1024
_CHUNK = 500  # sequence numbers per DELETE ... IN (...)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    priority INTEGER NOT NULL,
    payload BLOB NOT NULL,
    kind TEXT NOT NULL DEFAULT 'telemetry'
);
CREATE INDEX IF NOT EXISTS entries_by_priority ON entries (priority, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 1), ('dropped', 0);
"""


class Entry(NamedTuple):
    """One spooled message: its sequence number, payload, and the topic kind it goes to."""

    seq: int
    payload: bytes
    kind: Kind = Kind.TELEMETRY


@dataclass(frozen=True, slots=True)
class SpoolDepth:
    count: int
    bytes: int


class Spool:
    """A bounded, crash-safe FIFO of (sequence number, payload), shared by two threads."""

    def __init__(self, path: Path, max_bytes: int = 64 * MIB) -> None:
        if max_bytes <= 0:
            raise SpoolError(f"spool bound must be positive, got {max_bytes}")
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.executescript(_SCHEMA)
            _add_kind_column(self._db)
            self.instance = _instance(self._db)
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(payload)), 0) FROM entries"
            ).fetchone()
        except (sqlite3.Error, OSError) as err:
            raise SpoolError(f"cannot open spool {path}: {err}") from err
        self._count, self._bytes = int(row[0]), int(row[1])

    # --- writing ---------------------------------------------------------------------------

    def append(
        self, build: Callable[[int], bytes], priority: int = 0, kind: Kind = Kind.TELEMETRY
    ) -> int:
        """Store ``build(seq)`` under the next sequence number, in one transaction; return it."""
        return self.append_many([build], priority, kind)[0]

    def append_many(
        self,
        builds: Sequence[Callable[[int], bytes]],
        priority: int = 0,
        kind: Kind = Kind.TELEMETRY,
    ) -> list[int]:
        """Store several entries in one transaction (one fsync); return their numbers.

        Every kind (telemetry, trouble codes) shares one sequence: the cloud's ``ack`` names
        sequence numbers without saying of what."""
        seqs: list[int] = []
        with self._lock:
            added = freed_count = freed_bytes = 0
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    seq = self._meta("next_seq")
                    for build in builds:
                        payload = build(seq)
                        count, nbytes = self._make_room(
                            len(payload) + added - freed_bytes, len(seqs) - freed_count
                        )
                        freed_count, freed_bytes = freed_count + count, freed_bytes + nbytes
                        self._db.execute(
                            "INSERT INTO entries (seq, priority, payload, kind)"
                            " VALUES (?, ?, ?, ?)",
                            (seq, priority, payload, kind.value),
                        )
                        seqs.append(seq)
                        added += len(payload)
                        seq += 1
                    self._db.execute("UPDATE meta SET value = ? WHERE key = 'next_seq'", (seq,))
                    if freed_count:
                        self._db.execute(
                            "UPDATE meta SET value = value + ? WHERE key = 'dropped'",
                            (freed_count,),
                        )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as err:
                raise SpoolError(f"spool {self.path}: cannot append: {err}") from err
            self._count += len(seqs) - freed_count
            self._bytes += added - freed_bytes
        if freed_count:
            log.warning(
                "spool full: dropped %d oldest entries (%d bytes)", freed_count, freed_bytes
            )
        return seqs

    def ack(self, seqs: Iterable[int]) -> int:
        """Delete the entries with these sequence numbers; return how many there were."""
        wanted = sorted(set(seqs))
        if not wanted:
            return 0
        deleted = freed = 0
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for start in range(0, len(wanted), _CHUNK):
                    chunk = wanted[start : start + _CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows = self._db.execute(
                        f"DELETE FROM entries WHERE seq IN ({marks}) RETURNING LENGTH(payload)",
                        chunk,
                    ).fetchall()
                    deleted += len(rows)
                    freed += sum(int(r[0]) for r in rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as err:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise SpoolError(f"spool {self.path}: cannot delete acked entries: {err}") from err
            self._count -= deleted
            self._bytes -= freed
        return deleted

    # --- reading ---------------------------------------------------------------------------

    def unacked(self, after_seq: int | None = None, limit: int = 100) -> list[Entry]:
        """Up to ``limit`` entries with a sequence number above ``after_seq``, oldest first."""
        return self._select(
            "SELECT seq, payload, kind FROM entries WHERE seq > ? ORDER BY seq LIMIT ?",
            (-1 if after_seq is None else after_seq, limit),
        )

    def get(self, seqs: Iterable[int]) -> dict[int, Entry]:
        """The entries still spooled among ``seqs`` (the others were acked or dropped)."""
        wanted = sorted(set(seqs))
        found: dict[int, Entry] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT seq, payload, kind FROM entries WHERE seq IN ({marks})"
            found.update((entry.seq, entry) for entry in self._select(sql, chunk))
        return found

    def depth(self) -> SpoolDepth:
        """How many entries and payload bytes are waiting for an ack."""
        with self._lock:
            return SpoolDepth(self._count, self._bytes)

    @property
    def dropped(self) -> int:
        """Entries dropped because the spool was full, over the spool's whole life."""
        with self._lock:
            return self._meta("dropped")

    @property
    def next_seq(self) -> int:
        with self._lock:
            return self._meta("next_seq")

    def add_usage(self, month: int, nbytes: int) -> int:
        """Add ``nbytes`` sent in ``month`` (YYYYMM) to the persisted budget use; return it."""
        key = f"usage_{month}"
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
                    (key, nbytes),
                )
                row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as err:
                raise SpoolError(f"spool {self.path}: cannot record data use: {err}") from err
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- helpers (the caller holds the lock) ------------------------------------------------

    def _meta(self, key: str) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0])

    def _make_room(self, size: int, pending: int = 0) -> tuple[int, int]:
        """Delete the oldest lowest-priority entries until ``size`` more bytes fit (``pending``:
        entries this transaction added or removed beyond ``self._count``)."""
        count, freed = 0, 0
        while self._bytes - freed + size > self.max_bytes and self._count + pending - count > 0:
            rows = self._db.execute(
                "SELECT seq, LENGTH(payload) FROM entries ORDER BY priority, seq LIMIT 64"
            ).fetchall()
            if not rows:
                break
            victims: list[int] = []
            for seq, length in rows:
                if self._bytes - freed + size <= self.max_bytes:
                    break
                victims.append(int(seq))
                freed += int(length)
            marks = ",".join("?" * len(victims))
            self._db.execute(f"DELETE FROM entries WHERE seq IN ({marks})", victims)
            count += len(victims)
        return count, freed

    def _select(self, sql: str, params: Iterable[object]) -> list[Entry]:
        with self._lock:
            try:
                rows = self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as err:
                raise SpoolError(f"spool {self.path}: cannot read: {err}") from err
        return [Entry(int(seq), bytes(payload), Kind(kind)) for seq, payload, kind in rows]


def _instance(db: sqlite3.Connection) -> str:
    """The spool's instance id, made (in one transaction) the first time a file is opened."""
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'instance'").fetchone()
        if row is None:
            sent = db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()[0] > 1
            row = (0 if sent else secrets.randbits(62) | 1,)  # never 0: that is the legacy one
            db.execute("INSERT INTO meta (key, value) VALUES ('instance', ?)", row)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return f"{int(row[0]):016x}" if row[0] else ""


def _add_kind_column(db: sqlite3.Connection) -> None:
    """Spools written before trouble codes travelled through them hold telemetry only."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
    if "kind" not in columns:
        db.execute("ALTER TABLE entries ADD COLUMN kind TEXT NOT NULL DEFAULT 'telemetry'")
