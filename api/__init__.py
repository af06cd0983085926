"""The HTTP API and the web pages: FastAPI over the telemetry store and the job store.

``api.app.create_app(telemetry, jobs)`` serves stores the caller owns (the demo, tests);
``api.app.create_app_from_urls(telemetry_url, jobs_url)`` opens and closes its own
(``pitstop api``). Nothing here reads settings or opens a store at import time.
"""
