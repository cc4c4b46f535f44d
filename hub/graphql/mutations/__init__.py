"""Mutation roots, one module per domain."""
