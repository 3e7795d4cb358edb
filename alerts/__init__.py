"""Change events, subscriptions and alert delivery."""

from alerts import portfolio_schema as _portfolio_schema  # noqa: F401  (subscriptions.portfolio)
from alerts import schema as _schema  # noqa: F401  (registers the alerts migrations)
