"""The service domain: jobs, bookings, workshops, owners, vehicles and webhooks.

``jobs.model`` holds the values, ``jobs.store`` the interfaces, ``jobs.open`` picks a backend
by URL, ``jobs.lifecycle`` and ``jobs.booking`` decide (pure), ``jobs.delivery`` sends the
webhook outbox, ``jobs.seed`` adds the demo workshops, ``jobs.sql`` is the SQL backend
(SQLAlchemy Core) and ``jobs.migrations`` its Alembic history.
"""
