"""The in-car gateway: CAN source -> decode -> batch -> spool -> publish.

    sources.open_source   python-can bus (virtual, socketcan, ...) or a recorded log
    decode.Decoder        cantools + vehicle profile -> canonical ``pitstop.codec.Sample``s
    spool.Spool           SQLite (WAL) disk spool: written before publishing, deleted on ack
    publisher.Publisher   paho client: status, QoS 1 telemetry, the cloud's ack topic
    runner.run_gateway    the reader and sender threads wired together

It imports only ``pitstop`` (the core), ``dbc``, python-can, cantools and paho, so it installs
and runs alone on the car.
"""
