"""``pitstop jobs``: the service domain from the command line; ``service-book import|export``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cli.settings import Settings

if TYPE_CHECKING:
    from jobs.store import JobStore

HELP = "the service book of a vehicle: import another tracker's CSV export, export the book"
DESCRIPTION = """\
Each vehicle's service book holds every service, repair, inspection and tyre change: the
records pitstop's completed jobs wrote, and outside work. `service-book import` reads a CSV
export of another maintenance tracker (LubeLogger, Road Trip, Fuelly / Drivvo / Simply Auto
style headers, pitstop's own export): the columns are recognised from the header, or named
with --map FIELD=HEADER (fields: date, odometer, kind, work, workshop, parts, labour_hours,
cost, currency, notes, tags, rule_id). A file is imported entirely or not at all (every bad
row is named with its column), and importing it again adds nothing. `service-book export`
writes the book as CSV (FILE "-": standard output).

examples:
  pitstop jobs service-book import WPITSTOPDEMO00001 lubelogger-service.csv
  pitstop jobs service-book import WPITSTOPDEMO00001 fuelly.csv --unit mi --date-order mdy
  pitstop jobs service-book import WPITSTOPDEMO00001 book.csv --map date=Datum --map odometer=Km
  pitstop jobs --jobs postgresql://pitstop@db/pitstop service-book export WPITSTOPDEMO00001 -
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", help="job store URL (default: sqlite:///<data_dir>/jobs.db)")
    sub = parser.add_subparsers(dest="jobs_command", required=True)
    book = sub.add_parser("service-book", help="import or export a vehicle's service book")
    verbs = book.add_subparsers(dest="book_action", metavar="import|export", required=True)
    take = verbs.add_parser("import", help="add the rows of a CSV file to the book")
    take.add_argument("vin")
    take.add_argument("file", type=Path)
    take.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=HEADER",
        help="read FIELD from the column HEADER (repeatable)",
    )
    take.add_argument("--unit", choices=("km", "mi"), help="odometer unit (default: from header)")
    take.add_argument(
        "--date-order", choices=("dmy", "mdy"), help="slashed dates (default: from the file)"
    )
    take.add_argument("--quiet", action="store_true", help="no progress on stderr")
    give = verbs.add_parser("export", help="write the book as CSV")
    give.add_argument("vin")
    give.add_argument("file", help='where to ("-": standard output)')


def run(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.open import open_job_store
    from pitstop.topics import validate_vin

    vin = validate_vin(args.vin)
    url = args.jobs or settings.job_store_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    store = open_job_store(url)
    try:
        if args.book_action == "import":
            return _import(store, vin, args)
        return _export(store, vin, args.file)
    finally:
        store.close()


def _import(store: JobStore, vin: str, args: argparse.Namespace) -> int:
    from datetime import date

    from jobs.csvbook import parse_csv
    from jobs.csvmap import Unit
    from pitstop.errors import ConfigError

    mapping: dict[str, str] = {}
    for item in args.map:
        field, sep, header = item.partition("=")
        if not sep or not field.strip():
            raise ConfigError(f"--map {item!r}: expected FIELD=HEADER, e.g. date=Datum")
        mapping[field.strip()] = header.strip()
    try:
        text = args.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {args.file}: {err}") from err
    started = time.monotonic()
    parsed = parse_csv(
        text,
        mapping=mapping,
        unit=Unit(args.unit) if args.unit else None,
        date_order=args.date_order,
        not_after=date.today(),
    )
    total = len(parsed.entries)
    _say(args.quiet, f"{args.file}: {total:,} rows read, columns {dict(parsed.columns.columns)}")

    def progress(done: int) -> None:
        _say(args.quiet, f"... {done:,} new rows written (committed together at the end)")

    outcome = store.import_records(vin, parsed.entries, now=time.time(), progress=progress)
    elapsed = time.monotonic() - started
    rate = total / elapsed if elapsed > 0 else float("inf")
    print(
        f"{vin}: {outcome.added:,} records added, {outcome.skipped:,} already in the book "
        f"({total:,} rows in {elapsed:.2f} s, {rate:,.0f} rows/s)"
    )
    if parsed.columns.ignored:
        _say(args.quiet, f"columns not read: {', '.join(parsed.columns.ignored)}")
    return 0


def _export(store: JobStore, vin: str, file: str) -> int:
    from jobs.csvbook import export_csv

    text = export_csv(store.service_records(vin))
    if file == "-":
        sys.stdout.write(text)
    else:
        Path(file).write_text(text, encoding="utf-8", newline="")
        print(f"{vin}: {text.count(chr(10)) - 1:,} records written to {file}", file=sys.stderr)
    return 0


def _say(quiet: bool, line: str) -> None:
    if not quiet:
        print(line, file=sys.stderr, flush=True)
