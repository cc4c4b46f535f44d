"""Persistence: SQLModel tables, async sessions, migrations, row scopes."""
