"""What a Python project asks for, read from whichever file it keeps it in.

Requirements files (with hashes, includes, markers), pyproject.toml (dependencies, extras,
dependency groups) and the lock files of uv, Poetry and PEP 751 (pylock.toml) all become one list
of PEP 508 requirements for a recipe. Each format has a pure parser (text in, requirements out);
`read.py` is the only module that touches the filesystem. Neutral: the build area uses it today,
any other area may.
"""
