"""Reading a layer's files, shared by the areas that build layers and those that inspect them.

ELF headers and their checks (elfcheck.py), what a wheel installed (distinfo.py) and the
minimizer's rules as data (rules.py).
"""
