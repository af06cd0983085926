"""Alembic migrations of the job store, run by ``jobs.sql.store.SqlJobStore.open``."""
