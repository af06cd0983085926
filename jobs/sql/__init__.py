"""The SQL backend of the job store (SQLAlchemy Core): SQLite embedded, PostgreSQL in production.

``jobs.sql.database`` connects and migrates (also for other stores that keep tables in the same
database, such as the API's keys); ``jobs.sql.store`` is the ``JobStore``; the other modules
work inside a transaction the store opened.
"""
