"""Appends to a spool in a loop, printing each sequence number once its commit returned.

Every 7th append also acks the oldest entries, printing ``acking <seqs>`` before that commit
and ``acked <seqs>`` after it.
Run by test_spool.py, which SIGKILLs it at a random moment.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gateway.spool import Spool


def main(path: str) -> None:
    spool = Spool(Path(path))
    while True:
        seq = spool.append(lambda seq: seq.to_bytes(8, "big") * (100 + seq % 400))
        print(f"seq {seq}", flush=True)
        if seq % 7 == 0:
            oldest = [e.seq for e in spool.unacked(None, 3)]
            print("acking " + " ".join(map(str, oldest)), flush=True)
            spool.ack(oldest)
            print("acked " + " ".join(map(str, oldest)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
