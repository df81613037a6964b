"""What a build container needs to reach the package index the way the host does.

The host's CA bundle (hosts behind an intercepting proxy trust a private CA that images lack) and
pip's index settings from the environment and pip's config files, with local (file://) locations
mounted read-only. `host_passthrough()` collects all of it; backends/docker.py applies it.
"""

from __future__ import annotations

import configparser
import os
import shutil
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from builder.engine.container import BindMount
from builder.manifest import PackageIndexes

# Where the host's CA bundle appears inside containers. Not under /opt: that is where Lambda
# layers live and where a build may mount its output.
CA_BUNDLE_PATH = "/etc/layer-builder/ca-bundle.crt"


@dataclass(frozen=True)
class Passthrough:
    """Mounts and environment that carry a host setting into the container, plus notes for the user."""

    mounts: tuple[BindMount, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def merge(self, other: Passthrough) -> Passthrough:
        mounts = {mount.container_path: mount for mount in (*self.mounts, *other.mounts)}
        return Passthrough(
            mounts=tuple(mounts.values()),
            env={**self.env, **other.env},
            notes=(*self.notes, *other.notes),
        )


# --- certificates and package index settings ---------------------------------------------------

CA_BUNDLE_VARIABLES = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
PIP_INDEX_KEYS = {
    # pip config key: (environment variable, whether its values are locations to carry over)
    "index-url": ("PIP_INDEX_URL", True),
    "extra-index-url": ("PIP_EXTRA_INDEX_URL", True),
    "find-links": ("PIP_FIND_LINKS", True),
    "trusted-host": ("PIP_TRUSTED_HOST", False),
    "no-index": ("PIP_NO_INDEX", False),
}


def ca_bundle(env: Mapping[str, str], pip_config: Mapping[str, str] | None = None) -> Passthrough:
    """Mounts the host's CA bundle and points pip, requests and OpenSSL at it inside the container.

    The bundle is the first existing file among PIP_CERT, REQUESTS_CA_BUNDLE, SSL_CERT_FILE and pip's
    `cert` setting. Hosts behind an intercepting proxy trust a private CA that container images lack.
    """
    candidates = [env.get(name, "") for name in CA_BUNDLE_VARIABLES]
    candidates.append((pip_config or {}).get("cert", ""))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Passthrough(
                mounts=(BindMount(Path(candidate).resolve(), CA_BUNDLE_PATH, True),),
                env=dict.fromkeys(CA_BUNDLE_VARIABLES, CA_BUNDLE_PATH),
            )
    return Passthrough()


def pip_config_files(env: Mapping[str, str], home: Path) -> list[Path]:
    """pip's configuration files in pip's order of precedence, lowest first (existing ones only).

    Mirrors pip: global files, then user files (skipped when PIP_CONFIG_FILE names an existing file),
    then PIP_CONFIG_FILE; PIP_CONFIG_FILE=/dev/null turns all files off.
    """
    config_file = env.get("PIP_CONFIG_FILE")
    if config_file == os.devnull:
        return []
    xdg_dirs = env.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    files = [Path(folder, "pip", "pip.conf") for folder in xdg_dirs.split(os.pathsep) if folder]
    files.append(Path("/etc/pip.conf"))
    if not (config_file and Path(config_file).exists()):
        xdg_home = env.get("XDG_CONFIG_HOME") or str(home / ".config")
        files += [home / ".pip" / "pip.conf", Path(xdg_home, "pip", "pip.conf")]
    if config_file:
        files.append(Path(config_file))
    return [path for path in files if path.is_file()]


def read_pip_config(files: Sequence[Path]) -> dict[str, str]:
    """The settings pip's `install` command sees from these files: [global], then [install] over it."""
    settings: dict[str, str] = {}
    for path in files:
        parser = configparser.RawConfigParser()
        parser.read(path, encoding="utf-8")
        for section in ("global", "install"):
            if parser.has_section(section):
                settings.update(parser.items(section))
    return settings


def pip_index_settings(env: Mapping[str, str], pip_config: Mapping[str, str]) -> Passthrough:
    """pip's index settings for the container, environment over config files, as PIP_* variables.

    Local locations (file:// URLs, find-links folders) are mounted read-only at the same path so the
    settings stay valid inside; ones that do not exist on the host are dropped with a note.
    """
    result = Passthrough()
    for key, (variable, has_locations) in PIP_INDEX_KEYS.items():
        value = env.get(variable) or pip_config.get(key)
        if not value:
            continue
        if has_locations:
            result = result.merge(_carry_locations(key, variable, value.split()))
        else:
            result = result.merge(Passthrough(env={variable: value}))
    return result


def _carry_locations(key: str, variable: str, locations: Sequence[str]) -> Passthrough:
    kept: list[str] = []
    mounts: list[BindMount] = []
    notes: list[str] = []
    for location in locations:
        folder = _local_folder(location)
        if folder is None:
            kept.append(location)
        elif folder.exists():
            kept.append(location)
            root = _mount_root(key, folder)
            mounts.append(BindMount(root, str(root), True))
        else:
            notes.append(f"pip {key} {location} does not exist on this machine; not used in the container")
    env = {variable: " ".join(kept)} if kept else {}
    return Passthrough(mounts=tuple(mounts), env=env, notes=tuple(notes))


def _local_folder(location: str) -> Path | None:
    """The host path behind a file:// URL or plain path; None for remote URLs."""
    parsed = urllib.parse.urlparse(location)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path))
    if parsed.scheme == "" and location.startswith("/"):
        return Path(location)
    return None


def _mount_root(key: str, folder: Path) -> Path:
    # A local PEP 503 index usually lives at <repo>/simple with links like ../../files/x.whl, so the
    # repository root must be visible too, not just the simple/ folder.
    if key.endswith("index-url") and folder.name == "simple" and folder.parent != Path(folder.anchor):
        return folder.parent
    return folder


def recipe_indexes(indexes: PackageIndexes, work: Path) -> PackageIndexes:
    """The recipe's indexes as a container sees them: local find-links folders (and file:// index
    URLs) are copied into the scratch folder, which is mounted at the same path, and named there.

    Copied rather than mounted: the container is already running when the recipe's lock is installed.
    """
    counter = iter(range(1_000_000))

    def visible(location: str, key: str = "find-links") -> str:
        folder = _local_folder(location)
        if folder is None or not folder.exists():
            return location
        copy = work / "indexes" / str(next(counter))
        if folder.is_dir():
            root = _mount_root(key, folder)  # a local simple/ index links into its parent
            shutil.copytree(root, copy, dirs_exist_ok=True)
            copy = copy / folder.relative_to(root)
        else:
            copy.mkdir(parents=True, exist_ok=True)
            copy = copy / folder.name
            shutil.copyfile(folder, copy)
        return copy.as_uri() if location.startswith("file:") else str(copy)

    return PackageIndexes(
        index_url=visible(indexes.index_url, "index-url") if indexes.index_url else None,
        extra_index_urls=tuple(visible(url, "extra-index-url") for url in indexes.extra_index_urls),
        find_links=tuple(visible(link) for link in indexes.find_links),
    )


def host_passthrough(env: Mapping[str, str], home: Path) -> Passthrough:
    """The CA bundle and pip index settings of this host, ready for `open_container(mounts=, env=)`."""
    pip_config = read_pip_config(pip_config_files(env, home))
    return ca_bundle(env, pip_config).merge(pip_index_settings(env, pip_config))
