"""Shared core: settings, the clock, Han characters, announcement numbers. Imports nothing of the project."""
