"""Enforcement: customs penalty decisions as cases, and the figures over them."""

from enforcement import schema as _schema  # noqa: F401  (registers the enforcement migrations)
