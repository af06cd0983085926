"""Remote diagnostics: trouble codes over OBD-II, UDS and J1939 into ``pitstop.dtc``.

    obd.py        SAE J1979 over ISO 15765-4: mode 01 PIDs, modes 03/07/0A DTC responses
    uds.py        ISO 14229 ReadDTCInformation (0x19): 0x02, 0x04 snapshots, 0x06 extended data
    j1939dm.py    J1939-73 DM1 (active) / DM2 (previously active) with lamp status
    passive.py    passive ISO-TP reassembly of recorded or sniffed traffic
    scan.py       a recorded log -> every trouble-code report in it (``pitstop dtc scan``)
    client.py     requests over can-isotp (11/29-bit, physical/functional), 0x78 and 0x7F handled
    reads.py      the request sequences of one OBD / UDS read, and merging their codes
    service.py    DiagnosticsService: scheduled and on-demand reads, publishes ``DtcReport``s
    config.py     the profile's ``diagnostics`` section: OBD-II PIDs, UDS targets and DIDs
    poll.py       OBD-II responder discovery and the PID/DID poll schedule
    dids.py       a 0x22/0x21 data response -> samples (byte fields or a DBC message)
    passive_decode.py  a Decoder that reads diagnostic traffic in replayed/sniffed frames
    plugin.py     the gateway service: reports and polled samples through the spool

The J1939 transport protocol (BAM, RTS/CTS) is ``gateway.j1939tp``, shared with the decoder.
Parsers are pure functions of bytes that raise only ``errors.DiagError`` subclasses; the client
and the service count failures and log them, never letting bus input crash the gateway.
"""
