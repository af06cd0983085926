"""Schemathesis against the running API (uvicorn on a free port, over HTTP) with each role's
key: no input makes it answer 5xx, and every answer matches the OpenAPI document (status
code, content type, body schema, headers).

``PITSTOP_SCHEMATHESIS_EXAMPLES`` sets the examples per operation and role (10 in the suite);
run with ``-s`` to see the counts per role at the end.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app, openapi_document
from api.cmd_publisher import MqttCommandPublisher
from api.keys import KeyStore, Role
from assist.assistant import Assistant
from assist.semantic import load_model
from ingest.open import open_store
from jobs.open import open_audit_log, open_command_log, open_job_store
from rules.loader import DEFAULT_CATALOG, load_catalog
from tests.api.conftest import NOW, bearer, fill_jobs, fill_telemetry, make_keys
from tests.servers import Mosquitto, serving

EXAMPLES = int(os.environ.get("PITSTOP_SCHEMATHESIS_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
CALLS: Counter[str] = Counter()  # requests sent per role, for the closing figures


@pytest.fixture(scope="module")
def running_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[Role, str]]]:
    """The app over filled stores, served by uvicorn; its base URL and a key per role."""
    folder = tmp_path_factory.mktemp("schemathesis")
    jobs_url = "sqlite:///" + str(folder / "jobs.db")
    telemetry = open_store("sqlite:///" + str(folder / "telemetry.db"))
    jobs = open_job_store(jobs_url)
    keys = KeyStore.open(jobs_url)
    log = open_command_log(jobs_url)
    audit = open_audit_log(jobs_url)
    broker = Mosquitto(folder / "mosquitto")  # the commands really go out
    broker.start()
    publisher = MqttCommandPublisher(broker.url).start()
    fill_telemetry(telemetry)
    secrets = make_keys(keys, jobs, fill_jobs(jobs).workshop.id)
    assistant = Assistant.build(load_catalog(DEFAULT_CATALOG), load_model())
    app = create_app(
        telemetry,
        jobs,
        clock=lambda: NOW,
        keys=keys,
        commands=log,
        audit=audit,
        assistant=assistant,
    )
    app.state.publisher = publisher
    try:
        with serving(app, "uvicorn-schemathesis") as url:
            yield url, secrets
    finally:
        publisher.close()
        broker.kill()
        for store in (audit, log, keys, jobs, telemetry):
            store.close()
        if CALLS:
            print("\nschemathesis requests per role:", dict(sorted(CALLS.items())))


@pytest.fixture(scope="module", params=list(Role), ids=lambda role: role.value)
def role(request: pytest.FixtureRequest) -> Role:
    chosen: Role = request.param
    return chosen


# The schema needs no store (it is built from the routes); the live stream never ends.
schema = schemathesis.openapi.from_dict(openapi_document()).exclude(path_regex="/stream$")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_api_fail_or_break_its_schema(
    case: schemathesis.Case,  # type: ignore[type-arg]
    running_api: tuple[str, dict[Role, str]],
    role: Role,
) -> None:
    base_url, secrets = running_api
    CALLS[role.value] += 1
    case.call_and_validate(base_url=base_url, headers=bearer(secrets[role]), checks=CHECKS)
