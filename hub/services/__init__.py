"""Business actions, each in one transaction."""
