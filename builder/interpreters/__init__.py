"""Python interpreters of a target: finding one of the target's version (locate.py), running one (run.py)."""
