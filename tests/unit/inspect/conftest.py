"""The layer-zip helpers (tests/support/layerzips.py) as a fixture."""

from __future__ import annotations

from types import ModuleType

import pytest
from support import layerzips


@pytest.fixture
def zips() -> ModuleType:
    return layerzips
