"""``pitstop ingest dead-letters list|show|reingest|purge``: what ingest refused, and a second try.

A part of ``pitstop ingest`` (``cli.commands.ingest`` adds the parser and calls ``run``).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pitstop.errors import ConfigError

if TYPE_CHECKING:
    from ingest.store import DeadLetter, TelemetryStore
    from ingest.validate import Policy

DESCRIPTION = """\
The messages ingest refused, each kept whole with the reason (and answered to its car, which
then deletes it from its spool). list shows the newest first; show one prints its reason and
its payload, decoded when it decodes, else as hex; reingest validates dead letters again with
today's policy (the live window and future skew of the settings), stores what now passes as
history (it is not handed on to the rules) and deletes it from the dead letters, and reports
what still fails. --accept-old also lets in sample times before 1990, the earliest ingest
accepts (a logger whose clock was never set). purge deletes dead letters by id, by --vin
and/or --older-than DAYS (ingest also bounds them: a size cap per payload, a retention and a
quota per vehicle, see --dead-letter-* of `pitstop ingest`).

examples:
  pitstop ingest dead-letters list --limit 20
  pitstop ingest dead-letters list --vin WPITSTOPDEMO00001
  pitstop ingest dead-letters show 42
  pitstop ingest dead-letters reingest 42 43
  pitstop ingest --store sqlite:///t.db dead-letters reingest --all --accept-old
  pitstop ingest dead-letters purge 42 43
  pitstop ingest dead-letters purge --vin WPITSTOPDEMO00001 --older-than 7
"""


def add_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dead = actions.add_parser(
        "dead-letters",
        help="list, show or re-ingest the messages ingest refused",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    dead.add_argument(
        "--store", metavar="URL", default=argparse.SUPPRESS, help="telemetry store URL"
    )
    verbs = dead.add_subparsers(
        dest="dead_action", metavar="list|show|reingest|purge", required=True
    )
    listing = verbs.add_parser("list", help="the newest dead letters: id, when, VIN, reason, size")
    listing.add_argument("--vin", help="only this vehicle's")
    listing.add_argument("--limit", type=int, default=50, help="at most N (default: %(default)s)")
    show = verbs.add_parser("show", help="one dead letter: reason and payload")
    show.add_argument("id", type=int)
    again = verbs.add_parser("reingest", help="validate again and store what now passes")
    again.add_argument("ids", type=int, nargs="*", metavar="ID")
    again.add_argument("--all", action="store_true", help="every dead letter")
    again.add_argument(
        "--accept-old", action="store_true", help="also accept sample times before 1990"
    )

    purge = verbs.add_parser("purge", help="delete dead letters by id, --vin, --older-than")
    purge.add_argument("ids", type=int, nargs="*", metavar="ID")
    purge.add_argument("--vin", help="every one of this vehicle's (with --older-than: those)")
    purge.add_argument("--older-than", type=float, metavar="DAYS", help="received before")


def run(args: argparse.Namespace, store: TelemetryStore, policy: Policy) -> int:
    if args.dead_action == "list":
        return _list(store, args.vin, args.limit)
    if args.dead_action == "show":
        return _show(store, args.id)
    if args.dead_action == "purge":
        return _purge(store, args)
    return _reingest(store, args, policy)


def _list(store: TelemetryStore, vin: str | None, limit: int) -> int:
    letters = store.dead_letters(limit=max(limit, 1), vin=vin)
    print(f"{'id':>20}  {'received (UTC)':<23}  {'VIN':<17}  {'bytes':>7}  reason")
    for letter in letters:
        who = letter.vin or letter.topic[:17]
        print(
            f"{letter.id:>20}  {_when(letter.received_at):<23}  {who:<17}  "
            f"{letter.true_size:>7}  {letter.reason[:120]}"
        )
    print(f"{len(letters)} dead letters", flush=True)
    return 0


def _show(store: TelemetryStore, letter_id: int) -> int:
    from ingest.dead_letters import describe_payload

    letter = _get(store, letter_id)
    print(f"id: {letter.id}\nreceived: {_when(letter.received_at)} UTC\ntopic: {letter.topic}")
    print(f"code: {letter.code or '-'}\nreason: {letter.reason}\nbytes: {letter.true_size}")
    if letter.trimmed:
        print(f"kept: the first {len(letter.payload)} bytes; sha256: {letter.digest}")
    print(describe_payload(letter.payload), flush=True)
    return 0


def _reingest(store: TelemetryStore, args: argparse.Namespace, policy: Policy) -> int:
    from ingest.dead_letters import reingest

    if args.all == bool(args.ids):
        raise ConfigError("give dead-letter ids or --all, not both and not neither")
    if args.accept_old:
        policy = dataclasses.replace(policy, earliest_s=0.0)
    letters = _all(store) if args.all else [_get(store, i) for i in args.ids]
    outcomes = reingest(store, letters, policy, time.time())
    for outcome in outcomes:
        if outcome.stored:
            print(f"{outcome.id}: stored{' as history' if outcome.history else ''}")
        else:
            print(f"{outcome.id}: still refused: {outcome.reason}")
    stored = sum(o.stored for o in outcomes)
    print(f"{stored} stored, {len(outcomes) - stored} still refused", flush=True)
    return 0 if stored == len(outcomes) else 1


def _purge(store: TelemetryStore, args: argparse.Namespace) -> int:
    by_filter = args.vin is not None or args.older_than is not None
    if by_filter == bool(args.ids):
        raise ConfigError("give dead-letter ids, or --vin and/or --older-than (not both)")
    if args.ids:
        deleted = store.delete_dead_letters(args.ids)
    else:
        before = None if args.older_than is None else time.time() - args.older_than * 86_400
        deleted = store.purge_dead_letters(vin=args.vin, before=before)
    print(f"{deleted} dead letters purged", flush=True)
    return 0


def _all(store: TelemetryStore) -> list[DeadLetter]:
    return store.dead_letters(limit=1_000_000)


def _get(store: TelemetryStore, letter_id: int) -> DeadLetter:
    letter = store.dead_letter(letter_id)
    if letter is None:
        raise ConfigError(f"no dead letter with id {letter_id} (see `dead-letters list`)")
    return letter


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:23]
