"""regwatch: export-control regulation monitor."""

# Each stage registers its catalogue migrations when imported; the composer loads them all
# so every catalogue it opens is complete.
import alerts  # noqa: F401, E402
import enforcement  # noqa: F401, E402
import portfolio  # noqa: F401, E402
import screening  # noqa: F401, E402
import timeline  # noqa: F401, E402
import web  # noqa: F401, E402
