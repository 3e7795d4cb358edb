"""Change events, subscriptions and alert delivery."""

from alerts import schema as _schema  # noqa: F401  (registers the alerts migrations)
