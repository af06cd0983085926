"""``pitstop admin``: API keys, vehicles, owners and workshops."""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from cli import identity
from cli.audit import add_audit_arguments, record_admin, run_audit
from cli.settings import Settings
from pitstop.errors import ConfigError

if TYPE_CHECKING:
    from api.keys import ApiKey, KeyStore
    from jobs.store import JobStore

HELP = "manage API keys, vehicles, owners, workshops and MQTT identities (CA, certificates)"

DESCRIPTION = """\
Manage who may use the API and what pitstop knows about the fleet, in the job store
(PITSTOP_JOBS_URL, default <data_dir>/jobs.db; or --jobs URL).

A key's secret is printed once, when it is made; only its SHA-256 is stored. Roles:
engineer and admin (the whole fleet), workshop (--workshop ID: its jobs only),
owner and fleet_manager (--owner ID and/or --vin VIN ...: those vehicles only).

examples:
  pitstop admin workshops add "Garage Nord" --location Hamburg --skills electrical cooling
  pitstop admin workshops add "EV Partner" --location Kiel --skills electrical --partner \
      --high-voltage --bays 2 --lat 54.32 --lon 10.12
  pitstop admin owners add "Anna Berg" --kind private
  pitstop admin vehicles add WPITSTOPDEMO00001 --owner 1 --label "Anna's car"
  pitstop admin keys create --role engineer --name "Jo (diagnostics team)"
  pitstop admin keys create --role workshop --workshop 1 --name "Garage Nord desk"
  pitstop admin keys create --role owner --owner 1 --name "Anna"
  pitstop admin keys list
  pitstop admin keys revoke 3

MQTT identities (files in --dir, default <data_dir>/pki; see deploy/README.md):
  pitstop admin ca init --host mqtt.example.com --host 10.0.0.5
  pitstop admin vehicles provision WPITSTOPDEMO00001 [--password]
  pitstop admin vehicles rotate WPITSTOPDEMO00001
  pitstop admin vehicles revoke WPITSTOPDEMO00001
  pitstop admin services provision ingest      # also rules, api, presence

Every change made here, through the API or by the rules engine is in the audit log:
  pitstop admin audit list --since 2026-12-01 [--actor key] [--action job] [--json]
  pitstop admin audit purge --days 400
"""

ROLES = ("engineer", "workshop", "owner", "fleet_manager", "admin")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", metavar="URL", help="job store URL (default from settings)")
    things = parser.add_subparsers(dest="thing", metavar="WHAT", required=True)
    identity.add_ca_arguments(things)
    add_audit_arguments(things)
    services = things.add_parser("services", help="the cloud services' MQTT identities")
    identity.add_identity_verbs(services.add_subparsers(dest="verb", required=True), "services")
    keys = things.add_parser("keys", help="API keys").add_subparsers(dest="verb", required=True)
    create = keys.add_parser("create", help="make a key and print its secret (shown once)")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--name", required=True, help="whose key it is, for the list")
    create.add_argument("--workshop", type=int, metavar="ID", help="a workshop key's workshop")
    create.add_argument("--owner", type=int, metavar="ID", help="an owner key's owner")
    create.add_argument("--vin", nargs="*", default=[], help="an owner key's vehicles")
    keys.add_parser("list", help="every key: id, role, scope, state (never the secret)")
    revoke = keys.add_parser("revoke", help="revoke a key: it stops working at once")
    revoke.add_argument("id", type=int)
    for name, help_text in (
        ("vehicles", "vehicles"),
        ("owners", "owners and fleets"),
        ("workshops", "workshops"),
    ):
        verbs = things.add_parser(name, help=help_text).add_subparsers(dest="verb", required=True)
        verbs.add_parser("list", help=f"list the {help_text}")
        add = verbs.add_parser("add", help=f"add one of the {help_text}")
        _add_arguments(name, add)
        if name == "vehicles":
            identity.add_identity_verbs(verbs, "vehicles")


def _add_arguments(thing: str, add: argparse.ArgumentParser) -> None:
    if thing == "vehicles":
        add.add_argument("vin")
        add.add_argument("--owner", type=int, metavar="ID")
        add.add_argument("--label", default="")
        add.add_argument("--brand", help="e.g. VW: only workshops serving it qualify")
        _add_location(add, "where it usually is (its home or depot)")
    elif thing == "owners":
        add.add_argument("name")
        add.add_argument("--kind", choices=("private", "fleet"), default="private")
        add.add_argument("--workshop", type=int, metavar="ID", help="preferred workshop")
        add.add_argument("--auto-confirm", action="store_true", help="a fleet's policy")
    else:
        add.add_argument("name")
        add.add_argument("--location", required=True)
        add.add_argument("--skills", nargs="*", default=[])
        add.add_argument("--bays", type=int, default=1, help="jobs it works on at once")
        add.add_argument("--partner", action="store_true", help="a third-party workshop")
        add.add_argument("--high-voltage", action="store_true", help="certified for HV work")
        add.add_argument("--brands", nargs="*", default=[], help="brands served (none: all)")
        _add_location(add, "where it is")


def _add_location(add: argparse.ArgumentParser, what: str) -> None:
    add.add_argument("--lat", type=float, help=f"latitude of {what}")
    add.add_argument("--lon", type=float, help=f"longitude of {what}")


def run(args: argparse.Namespace, settings: Settings) -> int:
    url: str = args.jobs or settings.job_store_url()
    if args.thing == "audit":
        return run_audit(url, args)
    done = _run(args, settings, url)
    if done == 0:
        record_admin(url, args)
    return done


def _run(args: argparse.Namespace, settings: Settings, url: str) -> int:
    from api.keys import KeyStore
    from jobs.open import open_job_store

    if args.thing in ("ca", "services") or (
        args.thing == "vehicles" and args.verb in identity.VERBS
    ):  # ("keys revoke" is the key store's)
        return identity.run(args, settings)
    if args.thing == "keys":
        keys = KeyStore.open(url)
        try:
            return _keys(args, keys)
        finally:
            keys.close()
    jobs = open_job_store(url)
    try:
        for line in _fleet(args, jobs):
            print(line)
        return 0
    finally:
        jobs.close()


def _keys(args: argparse.Namespace, keys: KeyStore) -> int:
    from api.keys import Role

    if args.verb == "create":
        key, secret = keys.create(
            args.name,
            Role(args.role),
            time.time(),
            workshop_id=args.workshop,
            owner_id=args.owner,
            vins=args.vin,
        )
        print(f"key {key.id} ({key.role.value}, {_scope(key)}) for {key.name}:")
        print(secret)
        print("Keep it now: it cannot be shown again.")
    elif args.verb == "list":
        for key in keys.list_keys():
            state = "revoked" if key.revoked_at is not None else "live"
            print(
                f"{key.id:>4}  {key.prefix}…  {key.role.value:<13} {state:<7} "
                f"{_scope(key)}  {key.name}"
            )
    elif not keys.revoke(args.id, time.time()):
        raise ConfigError(f"there is no live key {args.id} (see 'pitstop admin keys list')")
    else:
        print(f"key {args.id} revoked")
    return 0


def _scope(key: ApiKey) -> str:
    parts = [f"workshop {key.workshop_id}"] if key.workshop_id is not None else []
    parts += [f"owner {key.owner_id}"] if key.owner_id is not None else []
    parts += list(key.vins)
    return ", ".join(parts) or "whole fleet"


def _fleet(args: argparse.Namespace, store: JobStore) -> list[str]:
    if args.thing == "vehicles":
        if args.verb == "add":
            store.register_vehicle(
                args.vin,
                args.owner,
                args.label,
                brand=args.brand,
                latitude=args.lat,
                longitude=args.lon,
            )
        return [f"{v.vin}  owner {v.owner_id}  {v.label}" for v in store.vehicles()]
    if args.thing == "owners":
        if args.verb == "add":
            store.add_owner(
                args.name,
                args.kind,
                preferred_workshop_id=args.workshop,
                auto_confirm=args.auto_confirm,
            )
        return [f"{o.id:>4}  {o.kind:<7}  {o.name}" for o in store.owners()]
    if args.verb == "add":
        store.add_workshop(
            args.name,
            args.location,
            tuple(args.skills),
            bays=args.bays,
            kind="partner" if args.partner else "own",
            high_voltage=args.high_voltage,
            brands=tuple(args.brands),
            latitude=args.lat,
            longitude=args.lon,
        )
    return [
        f"{w.id:>4}  {w.name} ({w.location}, {w.kind}{', HV' if w.hv_certified else ''}): "
        f"{', '.join(w.skills)}; {w.bays} bays"
        for w in store.workshops()
    ]
