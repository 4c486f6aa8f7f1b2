"""Storage: the only place SQL is written. SQLAlchemy 2 Core on SQLite and PostgreSQL alike."""
