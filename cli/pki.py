"""pitstop's certificate authority: the CA, the broker's server certificate, one client
certificate per identity (a vehicle's CN is its VIN, a cloud service's ``pitstop-<name>``) and
the certificate revocation list Mosquitto reads (``crlfile``).

A folder holds it all, with the names deploy/mosquitto.conf expects under
/etc/mosquitto/certs/::

    ca.key ca.crt            the CA (keep ca.key off the broker)
    server.key server.crt    the broker's certificate, for the names given to ``init_ca``
    crl.pem                  the revoked client certificates, signed by the CA
    clients/<CN>.key .crt    one identity's certificate and key

Keys are ECDSA P-256, written with mode 0600.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pitstop.errors import ConfigError

CA_DAYS = 3650
SERVER_DAYS = 825
CLIENT_DAYS = 825
# Mosquitto (OpenSSL) refuses every client once the CRL's next update has passed: every
# revocation signs it anew; re-sign it within this many days even when nothing is revoked.
CRL_DAYS = 365
ORGANISATION = "pitstop"


@dataclass(frozen=True, slots=True)
class Issued:
    name: str  # the certificate's CN: the identity the broker sees as username
    cert: Path
    key: Path
    serial: int


def init_ca(folder: Path, hosts: tuple[str, ...], now: dt.datetime) -> None:
    """Make the CA, the broker's certificate for ``hosts`` (names or IP addresses) and an
    empty CRL in ``folder``; refuse if a CA is there already (it would orphan every car)."""
    if not hosts:
        raise ConfigError("give the broker's host names (--host), e.g. --host mqtt.example.com")
    if (folder / "ca.key").exists():
        raise ConfigError(f"{folder} already holds a CA (ca.key): refusing to replace it")
    folder.mkdir(parents=True, exist_ok=True)
    key = _new_key(folder / "ca.key")
    name = _name(f"{ORGANISATION} CA")
    cert = (
        _builder(name, name, key.public_key(), now, CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write_cert(folder / "ca.crt", cert)
    server_key = _new_key(folder / "server.key")
    server = (
        _builder(_name(hosts[0]), name, server_key.public_key(), now, SERVER_DAYS)
        .add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(_authority(cert), False)
        .sign(key, hashes.SHA256())
    )
    _write_cert(folder / "server.crt", server)
    _write_crl(folder, key, cert, [], now)


def issue(folder: Path, name: str, now: dt.datetime) -> Issued:
    """A new key and client certificate with CN ``name`` (replacing that identity's files)."""
    ca_key, ca_cert = _load_ca(folder)
    (folder / "clients").mkdir(exist_ok=True)
    key = _new_key(folder / "clients" / f"{name}.key")
    cert = (
        _builder(_name(name), ca_cert.subject, key.public_key(), now, CLIENT_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(_authority(ca_cert), False)
        .sign(ca_key, hashes.SHA256())
    )
    path = folder / "clients" / f"{name}.crt"
    _write_cert(path, cert)
    return Issued(name, path, path.with_suffix(".key"), cert.serial_number)


def current(folder: Path, name: str) -> x509.Certificate:
    """The identity's certificate as issued last."""
    path = folder / "clients" / f"{name}.crt"
    if not path.exists():
        raise ConfigError(f"{name} has no certificate in {folder} (provision it first)")
    return x509.load_pem_x509_certificate(path.read_bytes())


def revoke(folder: Path, serial: int, now: dt.datetime) -> None:
    """Add ``serial`` to the CRL and sign it anew (Mosquitto reads it when it starts)."""
    ca_key, ca_cert = _load_ca(folder)
    crl = x509.load_pem_x509_crl((folder / "crl.pem").read_bytes())
    serials = [entry.serial_number for entry in crl]
    if serial not in serials:
        serials.append(serial)
    _write_crl(folder, ca_key, ca_cert, serials, now)


def revoked(folder: Path) -> frozenset[int]:
    crl = x509.load_pem_x509_crl((folder / "crl.pem").read_bytes())
    return frozenset(entry.serial_number for entry in crl)


# --- steps ------------------------------------------------------------------------------------


def _load_ca(folder: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if not (folder / "ca.key").exists():
        raise ConfigError(f"no CA in {folder}: run 'pitstop admin ca init --dir {folder}' first")
    key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigError(f"{folder / 'ca.key'} is not an EC key made by pitstop")
    return key, x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())


def _new_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_crl(
    folder: Path,
    key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    serials: list[int],
    now: dt.datetime,
) -> None:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=CRL_DAYS))
        .add_extension(_authority(ca), False)
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    crl = builder.sign(key, hashes.SHA256())
    (folder / "crl.pem").write_bytes(crl.public_bytes(serialization.Encoding.PEM))


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    now: dt.datetime,
    days: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))  # a little clock skew
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _authority(ca: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
