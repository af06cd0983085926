"""The service domain: jobs, bookings, workshops, owners, vehicles and webhooks.

``jobs.model`` holds the values (``jobs.network`` those of the service network: ratings,
hand-offs, the booking policy), ``jobs.store`` the interfaces, ``jobs.open`` picks a backend
by URL, ``jobs.lifecycle``, ``jobs.calendar``, ``jobs.ranking`` and ``jobs.satisfaction``
decide (pure), ``jobs.booking`` books and ``jobs.rerouting`` re-offers rejected jobs and
escalates overdue ones (I/O over the store), ``jobs.delivery`` sends the
webhook outbox, ``jobs.seed`` adds the demo workshops, ``jobs.sql`` is the SQL backend
(SQLAlchemy Core) and ``jobs.migrations`` its Alembic history.
"""
