"""The in-car gateway: CAN sources -> decode -> reduce -> batch -> spool -> publish.

    sources.open_source   python-can buses (one or several, kernel filters from the DBC ids),
                          or a recorded log (.log, .log.gz, .asc, .blf, .trc) at some pace
    profile.load_profile  DBC files per bus + canonical names (docs/profiles.md); profilemodel:
                          its values; profileyaml: the YAML fields of buses and signals; dbcload:
                          finding DBC files by name, strict/lenient loading; profilecheck:
                          ``pitstop profile check`` (a profile, optionally against a log)
    decode.Decoder        frames -> canonical ``pitstop.codec.Sample``s; fastdecode: the
                          precompiled extraction that matches cantools value for value;
                          J1939 by PGN and source address, BAM via ``j1939tp``, NMEA 2000
                          fast packets via ``fastpacket`` (whole frames: ``reassembly``);
                          counters per channel; decodefilters: the ids as hardware filters
    plan / reduce         the collection plan (YAML) and the pure reduction under it: interval,
                          deadband, priority, monthly budget
    reader.Reader         the reader thread: never waits for the network; other threads
                          reach it only through ``handover.ReaderControl`` (plan, budget level)
    spool.Spool           SQLite (WAL) disk spool: written before publishing, deleted on ack
    sender.Sender         the publishing loop: acks, outbox, rate limit, status, events;
                          window.PublishWindow: the in-flight window, resends
    publisher.Publisher   the broker seam; ``MqttPublisher`` the paho client (callbacks only
                          enqueue)
    control.Commands      cmd-topic dispatch (``set_plan``; services register more)
    services.Service      the plugin contract (``GatewayContext``); diag.plugin is one
    runner.run_gateway    everything wired together; services (diagnostics) plug in there

It imports only ``pitstop`` (the core), ``dbc``, python-can, cantools, PyYAML and paho, so it
installs and runs alone on the car (``tests/gateway/test_imports.py`` checks it).
"""
