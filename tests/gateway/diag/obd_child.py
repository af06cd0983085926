"""A car with two simulated ECUs and ``pitstop gateway --obd`` on its bus, in one process
(python-can's virtual bus lives inside a process). Run by test_obd_kill.py, which SIGKILLs it
while it polls. Arguments: the virtual channel, then the ``pitstop gateway`` options.
"""

from __future__ import annotations

import sys

from cli.main import main as pitstop
from sim.ecu import obd_car


def main(channel: str, gateway_args: list[str]) -> int:
    with obd_car(channel):
        return pitstop(["-v", "gateway", "--bus", "virtual", "--channel", channel, *gateway_args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
