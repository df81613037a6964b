"""Where a build's install, bytecode and smoke test run: this machine (local) or a container (docker)."""
