"""Disclosure audit: a hash-chained, append-only log of every disclosure of restricted data.

``hub.audit.chain`` is the pure hash chain; ``hub.audit.log`` records, verifies and lists entries;
``hub.audit.cli`` adds ``hub audit``. Nothing is re-exported here: hub.cli imports hub.audit.cli on every
start, and importing the database layer eagerly would slow down every ``hub`` command.
"""
