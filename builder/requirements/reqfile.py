"""Requirements files as pip reads them: comments, continuations, hashes, -r/-c includes, markers.

Pure: the caller passes `read`, which returns a file's text (the tests pass a dict). Hash options are
pip's and are stripped here: the lock layer-builder writes pins its own sha256 of every file, checked
again at install. Index options are refused rather than ignored: resolving the same names against
another index could install a different project of that name.
https://pip.pypa.io/en/stable/reference/requirements-file-format/
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from packaging.requirements import InvalidRequirement, Requirement

from builder.requirements import direct
from builder.requirements.model import RequirementsError

# pip's own rule: a comment starts at a '#' at the start of a line or after whitespace.
COMMENT_RE = re.compile(r"(^|\s+)#.*$")
INDEX_OPTIONS = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--no-index": "--no-index",
    "--trusted-host": "--trusted-host",
}
# Options that change nothing for a lock of wheels with hashes: it is all of these already.
HARMLESS_OPTIONS = {"--require-hashes", "--prefer-binary", "--only-binary"}
TAKES_VALUE = {"-r", "-c", "-e", "-i", "-f", "--requirement", "--constraint", "--editable"}
TAKES_VALUE |= {"--index-url", "--extra-index-url", "--find-links", "--trusted-host", "--only-binary"}
TAKES_VALUE |= {"--no-binary", "--hash", "--config-settings", "--global-option", "--use-feature"}

Reader = Callable[[PurePath], str]


@dataclass
class Parsed:
    """Requirements and constraints of a file and everything it includes, each with where it came from."""

    requirements: list[tuple[str, str]] = field(default_factory=list)  # (text, "file:line")
    constraints: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse(path: PurePath, read: Reader) -> Parsed:
    """Every requirement of `path` and its includes; includes are relative to the including file."""
    parsed = Parsed()
    _parse_file(path, read, parsed, stack=(), constraint=False)
    return parsed


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, line) after joining backslash continuations and dropping comments."""
    joined: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if not parts:
            start = number
        # A comment line ends a continuation, as in pip (req_file.join_lines).
        if line.endswith("\\") and not COMMENT_RE.match(line):
            parts.append(line[:-1])
            continue
        parts.append(line)
        joined.append((start, "".join(parts)))
        parts = []
    if parts:
        joined.append((start, "".join(parts)))
    cleaned = [(n, COMMENT_RE.sub("", line).strip()) for n, line in joined]
    return [(n, line) for n, line in cleaned if line]


def _parse_file(
    path: PurePath, read: Reader, parsed: Parsed, *, stack: tuple[PurePath, ...], constraint: bool
) -> None:
    if path in stack:
        chain = " -> ".join(str(p) for p in (*stack, path))
        raise RequirementsError(
            f"{stack[-1]}: includes form a cycle: {chain}",
            hint="remove one of the -r/-c lines so each file is read once",
        )
    text = read(path)
    for number, line in logical_lines(text):
        where = f"{path}:{number}"
        if line.startswith("-"):
            _option_line(line, where, path, read, parsed, stack=(*stack, path), constraint=constraint)
        else:
            requirement = _requirement_line(line, where)
            (parsed.constraints if constraint else parsed.requirements).append((requirement, where))


def _option_line(
    line: str,
    where: str,
    path: PurePath,
    read: Reader,
    parsed: Parsed,
    *,
    stack: tuple[PurePath, ...],
    constraint: bool,
) -> None:
    options = _options(line, where)
    for name, value in options:
        if name in ("-r", "--requirement", "-c", "--constraint"):
            if "://" in value:
                raise RequirementsError(
                    f"{where}: cannot include {value!r}: only local files are read",
                    hint="download it next to this file and include it by path",
                )
            included = PurePath(os.path.normpath(path.parent / value))
            as_constraint = constraint or name in ("-c", "--constraint")
            _parse_file(included, read, parsed, stack=stack, constraint=as_constraint)
        elif name in ("-e", "--editable"):
            raise direct.refuse(where, f"-e {value}", "editable")
        elif name in INDEX_OPTIONS:
            raise RequirementsError(
                f"{where}: pip option {name!r} cannot go into a recipe",
                hint="list requirements only; set the index and find-links in pip's configuration "
                "(pip config set global.index-url URL, or PIP_INDEX_URL), which every lock and build uses",
            )
        elif name in HARMLESS_OPTIONS:
            continue
        elif name == "--no-binary":
            raise RequirementsError(
                f"{where}: {name} {value} asks for source builds, which the local backend never does",
                hint="remove the option (layers are built from wheels), or build with --backend docker",
            )
        elif name == "--pre":
            raise RequirementsError(
                f"{where}: --pre cannot go into a recipe",
                hint="pin the pre-release you want (name==2.0rc1): a specifier naming one allows it",
            )
        else:
            raise RequirementsError(
                f"{where}: pip option {name!r} cannot go into a recipe",
                hint="list requirements only, with -r/-c includes and --hash if you like",
            )


def _options(line: str, where: str) -> list[tuple[str, str]]:
    """(option, value) pairs of a line of options: `-r x`, `-rx`, `--requirement=x`, `--requirement x`."""
    try:
        tokens = shlex.split(line)
    except ValueError as exc:
        raise RequirementsError(f"{where}: cannot read the options: {exc}") from exc
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.startswith("-"):
            raise RequirementsError(
                f"{where}: {token!r} after an option is not a value it takes",
                hint="put each requirement on its own line",
            )
        name, eq, value = token.partition("=")
        if not token.startswith("--") and len(token) > 2:  # -rfile
            name, value, eq = token[:2], token[2:], "="
        if name in TAKES_VALUE and not eq:
            if index >= len(tokens):
                raise RequirementsError(f"{where}: {name} needs a value")
            value = tokens[index]
            index += 1
        found.append((name, value))
    return found


def _requirement_line(line: str, where: str) -> str:
    """The requirement of a line, its per-requirement options (--hash) stripped; others refused."""
    # As pip does (req_file.break_args_options): the requirement ends at the first word that
    # starts with '-'.
    words = line.split(" ")
    args: list[str] = []
    for i, word in enumerate(words):
        if word.startswith("-"):
            for name, value in _options(" ".join(words[i:]), where):
                if name != "--hash":
                    raise RequirementsError(
                        f"{where}: option {name!r} on a requirement cannot go into a recipe",
                        hint="remove it; only --hash is understood (and checked again by the lock)",
                    )
                del value
            break
        args.append(word)
    text = " ".join(args).strip()
    kind = direct.looks_like_location(text)
    if kind:
        raise direct.refuse(where, text, kind)
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        raise RequirementsError(f"{where}: not a requirement: {exc}") from exc
    if requirement.url:
        raise direct.refuse(where, text, direct.kind_of_url(requirement.url))
    return text
