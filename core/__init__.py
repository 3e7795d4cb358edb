"""Shared core: settings, the clock, Han characters, announcement numbers, the collector pause. Imports nothing of the project."""
