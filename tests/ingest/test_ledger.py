"""The ledger's content digest is stored with every batch: it must never change, or a batch
redelivered after an upgrade would be taken for a re-used sequence number."""

from __future__ import annotations

from ingest.ledger import content_digest
from pitstop.codec import Series, TelemetryColumns

# computed by the first version of ``content_digest`` (one ``update`` per field)
_PINNED = "795d41c43d1c914ed73a043f4b340acba4421297257833123e7e9747fd0d039e"


def test_the_digest_of_a_batch_is_what_it_always_was() -> None:
    columns = TelemetryColumns(
        "V",
        1,
        "p",
        {
            "b": Series([5], [1.5]),  # one sample: the one-struct path
            "a": Series([1, 2, 2], [0.1, 0.2, -3.0]),  # a repeat, the array path
            "c": Series([], []),
        },
    )
    assert content_digest(columns) == _PINNED
    other = TelemetryColumns("V", 1, "p", {**columns.series, "b": Series([5], [1.25])})
    assert content_digest(other) != _PINNED
