"""Change events, subscriptions and alert delivery."""
