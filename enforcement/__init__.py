"""Enforcement: customs penalty decisions as cases, and the figures over them."""
