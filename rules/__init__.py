"""Rules: telemetry -> rule evaluation -> faults -> diagnosis -> jobs and bookings."""
