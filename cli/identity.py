"""``pitstop admin ca ...``, ``vehicles provision|rotate|revoke`` and ``services ...``: the
MQTT identities of cars and cloud services (cli.pki makes the certificates, cli.passwd the
password file). Nothing here touches the job store.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from cli import passwd, pki
from cli.settings import Settings
from pitstop.topics import validate_vin

VERBS = ("provision", "rotate", "revoke")
SERVICES = ("ingest", "rules", "api", "presence")

EXAMPLES = """\
MQTT identities (files in --dir, default <data_dir>/pki; see deploy/README.md):
  pitstop admin ca init --host mqtt.example.com --host 10.0.0.5
  pitstop admin vehicles provision WPITSTOPDEMO00001            # certificate, CN = VIN
  pitstop admin vehicles provision WPITSTOPDEMO00001 --password # and a password (shown once)
  pitstop admin vehicles rotate WPITSTOPDEMO00001               # new certificate, old revoked
  pitstop admin vehicles revoke WPITSTOPDEMO00001               # into crl.pem; restart Mosquitto
  pitstop admin services provision ingest                       # CN pitstop-ingest
"""


def add_ca_arguments(things: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ca = things.add_parser("ca", help="the project's certificate authority for MQTT (TLS)")
    verbs = ca.add_subparsers(dest="verb", required=True)
    init = verbs.add_parser(
        "init",
        help="make the CA, the broker's certificate and an empty CRL",
        description="Make DIR/ca.key, ca.crt, server.key, server.crt (for every --host) and "
        "crl.pem. Copy all but ca.key to the broker's /etc/mosquitto/certs/.\n\n"
        "example:\n  pitstop admin ca init --host mqtt.example.com --host 10.0.0.5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument(
        "--host",
        action="append",
        default=[],
        metavar="NAME",
        help="a name or IP address clients use for the broker (repeatable; the first is its CN)",
    )
    _dir(init)


def add_identity_verbs(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], thing: str
) -> None:
    """provision, rotate and revoke for ``vehicles`` (by VIN) or ``services`` (by name)."""
    helps = {
        "provision": "issue a client certificate and key (CN = the identity), signed by the CA",
        "rotate": "issue a new certificate and key; the old one is revoked (unless --keep-old)",
        "revoke": "put the identity's certificate on the CRL and remove its password",
    }
    for verb in VERBS:
        parser = verbs.add_parser(
            verb,
            help=helps[verb],
            description=f"{helps[verb]}.\n\n{EXAMPLES}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if thing == "vehicles":
            parser.add_argument("vin", help="the vehicle's VIN: its username and client id")
        else:
            parser.add_argument("service", choices=SERVICES, help="identity pitstop-<service>")
        _dir(parser)
        if verb != "revoke":
            parser.add_argument(
                "--password",
                action="store_true",
                help="also make a random password (printed once) and put it into DIR/passwd",
            )
        if verb == "rotate":
            parser.add_argument(
                "--keep-old", action="store_true", help="leave the old certificate valid"
            )


def run(args: argparse.Namespace, settings: Settings) -> int:
    folder: Path = args.dir or settings.data_dir / "pki"
    now = dt.datetime.now(dt.UTC)
    if args.thing == "ca":
        pki.init_ca(folder, tuple(args.host), now)
        passwd.ensure(folder / "passwd")
        print(f"CA and broker certificate for {', '.join(args.host)} in {folder}")
        print(
            "copy ca.crt server.crt server.key crl.pem to /etc/mosquitto/certs/, passwd to "
            "/etc/mosquitto/passwd; keep ca.key off the broker"
        )
        return 0
    name = _identity(args)
    if args.verb == "revoke":
        pki.revoke(folder, pki.current(folder, name).serial_number, now)
        removed = passwd.remove(folder / "passwd", name)
        print(f"{name}: certificate revoked in {folder / 'crl.pem'}")
        if removed:
            print(f"{name}: password removed from {folder / 'passwd'}")
        print("restart Mosquitto to load the new CRL and password file")
        return 0
    old = pki.current(folder, name).serial_number if args.verb == "rotate" else None
    issued = pki.issue(folder, name, now)
    if old is not None and not args.keep_old:
        pki.revoke(folder, old, now)
    print(f"{name}: certificate {issued.cert}, key {issued.key}, CA {folder / 'ca.crt'}")
    if old is not None and not args.keep_old:
        print(f"{name}: the previous certificate is revoked: restart Mosquitto")
    if args.password:
        secret = passwd.new_password()
        passwd.set_line(folder / "passwd", passwd.hash_line(name, secret))
        print(f"{name}: password set in {folder / 'passwd'}; it is shown once:")
        print(secret)
    return 0


def _identity(args: argparse.Namespace) -> str:
    if args.thing == "services":
        return f"pitstop-{args.service}"
    return validate_vin(args.vin)  # a TopicError (a PitstopError) if it is none


def _dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir", type=Path, metavar="DIR", help="the CA's folder (default: <data_dir>/pki)"
    )
