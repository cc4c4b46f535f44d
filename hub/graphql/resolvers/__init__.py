"""Resolvers: load rows, build policy subjects, and hand thin types back."""
