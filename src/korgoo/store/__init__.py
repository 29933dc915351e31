"""The store: SQLite (embedded default) or PostgreSQL through SQLAlchemy Core."""
