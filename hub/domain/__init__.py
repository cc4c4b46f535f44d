"""Pure domain logic: identifiers, reference data and the CBP business-day calendar (no I/O at call time)."""
