"""Settings a cloud service connects with: the TLS files of the settings join the broker URL
unless it names its own, and pitstop's own URL parser reads them back."""

from __future__ import annotations

from cli.settings import Settings
from pitstop.mqtt import BrokerAddress


def test_the_tls_files_of_the_settings_join_the_url() -> None:
    settings = Settings(
        broker_url="mqtts://broker.example.com:8885",
        broker_ca_file="/etc/pitstop/ca.crt",
        broker_cert_file="/etc/pitstop/pitstop-ingest.crt",
        broker_key_file="/etc/pitstop/pitstop-ingest.key",
    )
    address = BrokerAddress.parse(settings.service_broker_url())
    assert (address.host, address.port, address.tls) == ("broker.example.com", 8885, True)
    assert address.ca_file == "/etc/pitstop/ca.crt"
    assert address.cert_file == "/etc/pitstop/pitstop-ingest.crt"
    assert address.key_file == "/etc/pitstop/pitstop-ingest.key"


def test_a_url_naming_its_own_files_keeps_them() -> None:
    settings = Settings(
        broker_ca_file="/etc/a.crt", broker_cert_file="/etc/c.crt", broker_key_file="/etc/c.key"
    )
    url = settings.service_broker_url("mqtts://h:8885?ca=/own/ca.crt")
    address = BrokerAddress.parse(url)
    assert address.ca_file == "/own/ca.crt"
    assert address.cert_file == "/etc/c.crt"


def test_without_files_the_url_is_unchanged() -> None:
    assert Settings().service_broker_url("mqtt://127.0.0.1:1883") == "mqtt://127.0.0.1:1883"
