"""The GraphQL layer: thin types per domain over services, loaders and policy decisions."""
