"""BrokerAddress: TLS files from the URL or the options, and URLs rendered without secrets."""

from __future__ import annotations

import pytest

from pitstop.errors import ConfigError
from pitstop.mqtt import BrokerAddress, redact


def test_the_url_carries_the_tls_files_and_renders_without_the_password() -> None:
    address = BrokerAddress.parse("mqtts://car:s3cret@broker:8884?ca=/c/ca.crt")
    assert (address.username, address.password, address.ca_file) == ("car", "s3cret", "/c/ca.crt")
    assert address.url() == "mqtts://broker:8884"
    mutual = address.with_tls_files(None, "/c/car.crt", "/c/car.key")
    assert (mutual.ca_file, mutual.cert_file, mutual.key_file) == (
        "/c/ca.crt",
        "/c/car.crt",
        "/c/car.key",
    )


def test_errors_never_show_the_password() -> None:
    with pytest.raises(ConfigError) as caught:
        BrokerAddress.parse("http://car:s3cret@broker")
    assert "s3cret" not in str(caught.value)
    assert redact("mqtt://car:s3cret@broker:1883") == "mqtt://car:***@broker:1883"


@pytest.mark.parametrize(
    "url",
    ["mqtt://broker?ca=/ca.crt", "mqtts://broker?cert=/c.crt", "mqtts://broker?user=x"],
)
def test_tls_files_need_tls_a_certificate_its_key_and_nothing_unknown(url: str) -> None:
    with pytest.raises(ConfigError):
        BrokerAddress.parse(url)
