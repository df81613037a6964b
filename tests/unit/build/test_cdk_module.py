"""builder.cdk without synthesizing: the error text it raises, and a clear error without the extra."""

from __future__ import annotations

import sys

import pytest

from builder import cdk
from builder.errors import ConfigError


def test_a_failed_build_raises_the_clis_message_and_exit_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(cdk.LayerBuildFailed) as caught:
        cdk.build_layer("no-such-recipe", "python3.12", "x86_64", recipes=[tmp_path])
    assert caught.value.code == caught.value.exit_code == 3  # RecipeError, as the CLI exits
    assert str(caught.value).startswith("error: no recipe named 'no-such-recipe'")
    assert "hint:" in str(caught.value) and "Traceback" not in str(caught.value)
    assert isinstance(caught.value, SystemExit)  # an app that lets it through exits with code 3


def test_without_the_cdk_extra_the_construct_says_how_to_get_it(monkeypatch):
    cdk._construct_class.cache_clear()
    monkeypatch.setitem(sys.modules, "aws_cdk", None)  # as if aws-cdk-lib were not installed
    try:
        with pytest.raises(ConfigError, match=r"pip install 'layer-builder\[cdk\]'"):
            from builder.cdk import LayerBuilderLayer  # noqa: F401
    finally:
        cdk._construct_class.cache_clear()


def test_the_asset_hash_is_a_function_of_the_zip_sha256():
    assert cdk.asset_hash("ab" * 32) == cdk.asset_hash("ab" * 32) != cdk.asset_hash("cd" * 32)
