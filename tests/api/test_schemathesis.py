"""Schemathesis against the app's own OpenAPI schema, in process, with a valid key: no input
makes the API answer 5xx, and every answer matches the schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app, openapi_document
from api.cmd_publisher import MqttCommandPublisher
from api.keys import KeyStore, Role
from assist.assistant import Assistant
from assist.semantic import load_model
from ingest.open import open_store
from jobs.open import open_command_log, open_job_store
from rules.loader import DEFAULT_CATALOG, load_catalog
from tests.api.conftest import NOW, bearer, fill_jobs, fill_telemetry, make_keys
from tests.servers import Mosquitto


@pytest.fixture(scope="module")
def admin_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, dict[str, str]]]:
    """The app over filled stores in a folder of the module's own, and an admin's headers."""
    folder = tmp_path_factory.mktemp("schemathesis")
    telemetry = open_store("sqlite:///" + str(folder / "telemetry.db"))
    jobs = open_job_store("sqlite:///" + str(folder / "jobs.db"))
    keys = KeyStore.open("sqlite:///" + str(folder / "jobs.db"))
    log = open_command_log("sqlite:///" + str(folder / "jobs.db"))
    broker = Mosquitto(folder / "mosquitto")  # the commands really go out
    broker.start()
    publisher = MqttCommandPublisher(broker.url).start()
    try:
        fill_telemetry(telemetry)
        secrets = make_keys(keys, jobs, fill_jobs(jobs).workshop.id)
        assistant = Assistant.build(load_catalog(DEFAULT_CATALOG), load_model())
        app = create_app(
            telemetry, jobs, clock=lambda: NOW, keys=keys, commands=log, assistant=assistant
        )
        app.state.publisher = publisher  # what the lifespan does, which these calls skip
        yield app, bearer(secrets[Role.ADMIN])
    finally:
        publisher.close()
        broker.kill()
        log.close()
        keys.close()
        jobs.close()
        telemetry.close()


async def _no_app(scope: object, receive: object, send: object) -> None:
    raise AssertionError("every call passes the fixture's app")


# The schema needs no store (it is built from the routes); the app it is sent to is the fixture's.
schema = schemathesis.openapi.from_dict(openapi_document()).exclude(path_regex="/stream$")
schema.app = _no_app
schema.location = "/openapi.json"


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail(
    case: schemathesis.Case,  # type: ignore[type-arg]
    admin_app: tuple[object, dict[str, str]],
) -> None:
    app, headers = admin_app
    case.call_and_validate(app=app, headers=headers, checks=[not_a_server_error])
