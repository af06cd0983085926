"""The command line's side of the audit log (``jobs.audit``): what an admin command changed is
recorded as ``cli <user>@<host>``, and ``pitstop admin audit list|purge`` reads and trims it."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import socket
import sys
import time
from typing import Any

from jobs.audit import MAX_LIMIT, AuditEntry, AuditQuery
from pitstop.errors import ConfigError

READ_ONLY_VERBS = frozenset({"list"})


def add_audit_arguments(things: Any) -> None:
    """``pitstop admin audit list|purge``."""
    verbs = things.add_parser("audit", help="the audit log: who changed what, when").add_subparsers(
        dest="verb", required=True
    )
    show = verbs.add_parser("list", help="the newest entries first")
    show.add_argument("--since", metavar="ISO|EPOCH", help="only entries from this time on")
    show.add_argument("--actor", help="only entries whose actor contains this text")
    show.add_argument("--action", help="only entries whose action contains this text")
    show.add_argument("--limit", type=int, default=50, help=f"at most this many (<= {MAX_LIMIT})")
    show.add_argument("--json", action="store_true", help="one JSON object per line")
    purge = verbs.add_parser("purge", help="delete entries older than --days")
    purge.add_argument("--days", type=float, required=True, help="keep this many days")


def cli_actor() -> str:
    """Who runs this command: ``cli user@host``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli {user}@{socket.gethostname()}"


def record_admin(url: str, args: argparse.Namespace) -> None:
    """Record a state-changing admin command; a warning (not a failure) if the log is away:
    the change is already made."""
    if args.verb in READ_ONLY_VERBS:
        return
    from jobs.open import open_audit_log

    target = " ".join(
        str(getattr(args, name))
        for name in ("vin", "id", "name", "service")
        if getattr(args, name, None) not in (None, "", [])
    )
    entry = AuditEntry(
        at=time.time(), actor=cli_actor(), action=f"admin {args.thing} {args.verb}", target=target
    )
    try:
        log = open_audit_log(url)
    except Exception as err:
        print(f"warning: not recorded in the audit log: {err}", file=sys.stderr)
        return
    try:
        log.record(entry)
    finally:
        log.close()


def run_audit(url: str, args: argparse.Namespace) -> int:
    from jobs.open import open_audit_log

    log = open_audit_log(url)
    try:
        if args.verb == "purge":
            if args.days < 0:
                raise ConfigError("--days must be 0 or more")
            gone = log.purge(time.time() - args.days * 86400)
            print(f"{gone} audit entries older than {args.days:g} days deleted")
            log.record(
                AuditEntry(time.time(), cli_actor(), "admin audit purge", detail={"deleted": gone})
            )
            return 0
        query = AuditQuery(
            since=_since(args.since),
            actor=args.actor,
            action=args.action,
            limit=max(1, min(args.limit, MAX_LIMIT)),
        )
        for entry in log.entries(query):
            print(_line(entry, as_json=args.json))
        return 0
    finally:
        log.close()


def _since(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise ConfigError(f"--since {text!r}: give epoch seconds or ISO 8601") from err
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _line(entry: AuditEntry, *, as_json: bool) -> str:
    if as_json:
        fields = {
            "id": entry.id,
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "outcome": entry.outcome,
            "address": entry.address,
            "detail": dict(entry.detail),
        }
        return json.dumps(fields, ensure_ascii=True)
    when = dt.datetime.fromtimestamp(entry.at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    where = f" from {entry.address}" if entry.address else ""
    return (
        (
            f"{entry.id:>6}  {when}Z  {entry.outcome:<4} {entry.action}  {entry.target}  "
            f"by {entry.actor}{where}"
        )
        .encode("ascii", "backslashreplace")
        .decode("ascii")
    )
