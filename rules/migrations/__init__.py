"""Alembic migrations of the job store, run by ``rules.jobstore.SqlJobStore.open``."""
