"""Domain exceptions of the alerts stage (the CLI turns them into clean messages)."""


class AlertsError(Exception):
    """Base class for alerts errors."""


class InvalidSubscription(AlertsError, ValueError):
    """A subscription (from the CLI or a TOML file) that cannot work as written."""


class SubscriptionNotFound(AlertsError, KeyError):
    """No subscription with that id."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such subscription"


class MissingSecret(AlertsError):
    """A secret named by a subscription or the SMTP settings is not available."""


class DeliveryError(AlertsError):
    """A send that failed; ``retry`` says whether trying again later can help."""

    def __init__(self, reason: str, retry: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
