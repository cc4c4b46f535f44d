"""Access decisions: Cedar policies from ``policies/``, asked with each row's policy facts."""
