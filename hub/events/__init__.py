"""Events: the transactional outbox, the clock scheduler, webhook delivery and subscriptions."""
