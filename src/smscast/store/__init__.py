"""Storage: typed SQLAlchemy Core tables, queries that never commit, engine set-up, migrations."""
