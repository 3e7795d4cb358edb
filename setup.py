"""For scrapyd-deploy, which builds an egg with setup.py; all metadata is in pyproject.toml."""

from setuptools import setup

setup()
