"""A vehicle simulator: realistic CAN traffic for the demo EV, with faults developing.

vehicle.SimVehicle   a pure, seeded model: ``values(t)`` gives DBC physical values
faults.Fault         a fault that develops over (time-compressed) simulation seconds
frames.frames        values -> ``can.Message`` at each message's DBC cycle time
run                  candump logs (``write_log``) and the live virtual bus (``run_on_bus``)
errors.SimError      what the simulator raises on purpose (a ``PitstopError``)
"""
