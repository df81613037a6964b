"""The build pipeline: recipe -> lock -> install -> minimize -> bytecode -> verify -> package."""
