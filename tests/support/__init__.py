"""What several test folders (and bench/) share: the repository's location, a sample manifest,
built layers and layer zips written on demand, the moto server and a full disk (a small tmpfs).

tests/ is on pytest's `pythonpath` (pyproject.toml), so tests import these as `support.NAME`
whatever their import mode.
"""
