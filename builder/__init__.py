"""layer-builder: scientific Python layers for AWS Lambda that fit, load fast and provably work."""

from __future__ import annotations

__version__ = "0.1.0"
