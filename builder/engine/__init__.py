"""The container engine: the one wrapper that talks to it (container.py) and the runtime's build image."""
