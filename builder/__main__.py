from __future__ import annotations

from builder.cli import main

main()
