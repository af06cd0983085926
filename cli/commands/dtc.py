"""``pitstop dtc``: trouble codes in recorded CAN logs."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cli.settings import Settings
from pitstop.errors import ConfigError

if TYPE_CHECKING:
    import cantools.database

    from gateway.diag.passive import IsoTpMessage

HELP = "find trouble codes (OBD-II, UDS, J1939) in a recorded CAN log"
DESCRIPTION = """\
Read a recorded CAN log (candump -L, .asc, .blf, .trc ... anything python-can reads) and print
every trouble-code report in it, one JSON object per line on stdout:

- OBD-II responses to modes 03 / 07 / 0A (stored, pending, permanent codes),
- UDS ReadDTCInformation responses (59 02 codes by status, 59 04 snapshots, 59 06 extended data),
- J1939 DM1 / DM2 (active / previously active codes, lamps), single frame or BAM.

Each line is a DTC report in the wire format of the pitstop/v1/{vin}/dtc topic (see
pitstop/dtc.py), with "reason": "scan" and "source" naming the ECU, for example:

    {"v":1,"vin":"UNKNOWNVIN0000000","ts":1622547830084,"seq":null,"reason":"scan",
     "source":"j1939:0x2F","codes":[],"lamps":{"amber_warning":false}}

An empty "codes" list means the ECU said "no trouble code". Examples:

    pitstop dtc scan field/truck.log
    pitstop dtc scan field/truck.log | jq -c 'select(.codes != [])'
    pitstop dtc scan kona.log --dbc kona_ev_uds.dbc    # also decode ISO-TP responses

With --dbc, every reassembled ISO-TP response whose CAN id the DBC knows is also decoded and
printed as {"type": "signals", "id": "0x7EC", "ts": ..., "signals": {...}} (laid out as CSS
Electronics' UDS DBCs expect). Progress goes to stderr; malformed responses are logged there and
counted in the summary, never turned into codes."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    scan = sub.add_parser(
        "scan",
        help="print every trouble-code report found in a log",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument("log", type=Path, metavar="LOG", help="the recorded CAN log")
    scan.add_argument(
        "--dbc",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also decode reassembled ISO-TP responses with this DBC (repeatable)",
    )
    scan.add_argument(
        "--vin", default=None, help="VIN to put in the reports (default UNKNOWNVIN0000000)"
    )
    scan.add_argument("--quiet", action="store_true", help="no progress or summary on stderr")


def run(args: argparse.Namespace, settings: Settings) -> int:
    import can

    from gateway.diag.scan import UNKNOWN_VIN, Scanner
    from gateway.sources import log_problem
    from pitstop.dtc import encode_dtc_report
    from pitstop.topics import validate_vin

    problem = log_problem(args.log)
    if problem is not None:
        raise ConfigError(problem)
    vin = validate_vin(args.vin) if args.vin else UNKNOWN_VIN
    dbs = [_load_dbc(path) for path in args.dbc]
    scanner = Scanner(vin)
    progress = _Progress(args.quiet)
    try:
        for found in scanner.scan(can.LogReader(str(args.log))):
            if found.report is not None:
                print(encode_dtc_report(found.report).decode(), flush=False)
            elif found.message is not None and dbs:
                _print_signals(found.message, dbs)
            progress.tick(scanner.stats)
    except (OSError, ValueError, can.CanError) as err:
        raise ConfigError(f"cannot read CAN log {args.log}: {err}") from err
    sys.stdout.flush()
    progress.done(scanner.stats, scanner.isotp.stats, scanner.dm.stats + scanner.dm.tp.stats)
    return 0


def _load_dbc(path: Path) -> cantools.database.can.Database:
    import cantools.database.errors

    try:
        db = cantools.database.load_file(str(path), strict=False)
    except (OSError, cantools.database.errors.UnsupportedDatabaseFormatError) as err:
        raise ConfigError(f"cannot load DBC {path}: {err}") from err
    if not isinstance(db, cantools.database.can.Database):
        raise ConfigError(f"{path} is not a CAN database")
    return db


def _print_signals(message: IsoTpMessage, dbs: list[cantools.database.can.Database]) -> None:
    for db in dbs:
        try:
            spec = db.get_message_by_frame_id(message.arbitration_id)
        except KeyError:
            continue
        try:
            signals = spec.decode(message.css_layout(), decode_choices=False, allow_truncated=True)
        except Exception:  # cantools raises several kinds for payloads that do not fit
            continue
        doc: dict[str, Any] = {
            "type": "signals",
            "id": f"0x{message.arbitration_id:X}",
            "ts": round(message.ts * 1000),
            "message": spec.name,
            "signals": signals,
        }
        print(json.dumps(doc, separators=(",", ":")))
        return


class _Progress:
    def __init__(self, quiet: bool, every: float = 2.0) -> None:
        self._quiet = quiet
        self._every = every
        self._next = time.monotonic() + every

    def tick(self, stats: Any) -> None:
        if self._quiet or time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self._every
        print(f"... {stats['frames']:,} frames, {stats['reports']:,} reports", file=sys.stderr)

    def done(self, *counters: Any) -> None:
        if self._quiet:
            return
        merged: dict[str, int] = {}
        for counter in counters:
            merged.update({k: merged.get(k, 0) + v for k, v in counter.items()})
        summary = ", ".join(f"{k} {v:,}" for k, v in sorted(merged.items()))
        print(f"done: {summary}", file=sys.stderr)
