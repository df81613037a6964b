"""What several test folders (and bench/) share: the repository's location, a sample manifest,
built layers and layer zips written on demand, and the moto server.

tests/ is on pytest's `pythonpath` (pyproject.toml), so tests import these as `support.NAME`
whatever their import mode.
"""
