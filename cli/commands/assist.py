"""``pitstop assist``: describe a problem in your own words; get the likely diagnoses."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cli.settings import Settings

if TYPE_CHECKING:
    from assist.evidence import CarEvidence
    from rules.model import Rule

HELP = "describe a problem in your own words (English or Chinese); get the likely diagnoses"
DESCRIPTION = """\
Match an owner's description of a problem, in English or Chinese, to the rule catalogue's
diagnoses (an offline sentence-embedding model and BM25, fused), best first. With --vin, the
car's own evidence re-ranks them and says why: its trouble codes, rules pending or firing,
signals near a limit or trending towards it, open jobs (read from the telemetry and job
stores of the settings). When nothing matches well it says so. Examples:

    pitstop assist "it struggles to start in the morning"
    pitstop assist "刹车的时候有刺耳的尖叫声" --vin WPITSTOPDEMO00001 --json

Booking is done from the owner's vehicle page or POST /assist/book in the API."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", metavar="TEXT", help="the problem, in your own words")
    parser.add_argument("--vin", help="the vehicle: re-rank by what it shows")
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")
    parser.add_argument(
        "--catalog", type=Path, action="append", help="rule catalogue (default: pitstop's own)"
    )
    parser.add_argument(
        "--shards", type=int, default=1, help="the rules workers' shard count (rule states)"
    )
    parser.add_argument("--limit", type=int, default=3, help="at most this many answers")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from assist.assistant import Assistant
    from assist.render import answer_json, answer_lines
    from assist.semantic import load_model
    from pitstop.topics import validate_vin
    from rules.loader import DEFAULT_CATALOG, load_catalogs

    vin = validate_vin(args.vin) if args.vin else None
    rules = load_catalogs(args.catalog or [DEFAULT_CATALOG])
    assistant = Assistant.build(rules, load_model())
    car = _read_car(vin, rules, settings, args.shards) if vin else None
    answer = assistant.ask(args.text, car, limit=max(1, args.limit))
    if args.json:
        print(json.dumps(answer_json(answer), ensure_ascii=False))
    else:
        print("\n".join(answer_lines(answer)))
    return 0


def _read_car(vin: str, rules: Sequence[Rule], settings: Settings, shards: int) -> CarEvidence:
    from assist.evidence import Sources, read_car
    from ingest.open import open_store
    from jobs.open import open_job_store, open_state_store

    telemetry = open_store(settings.telemetry_store_url())
    jobs = open_job_store(settings.job_store_url())
    state = open_state_store(settings.job_store_url())
    try:
        return read_car(vin, rules, Sources(telemetry, jobs, state, shards), time.time())
    finally:
        telemetry.close()
        jobs.close()
        state.close()
