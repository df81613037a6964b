"""--ssm-parameter names against Parameter Store's rules, checked before anything is published."""

from __future__ import annotations

import pytest

from builder.errors import ConfigError
from builder.publish import ssm

from .conftest import make_layer


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/layers/demo/python3.12-x86_64", None),
        ("plain-name_1.2", None),
        ("/" + "/".join(["l"] * 15), None),
        ("/" + "/".join(["l"] * 16), "16 levels"),
        ("layers/demo", "must start with '/'"),
        ("/layers//demo", "empty"),
        ("/layers/demo/", "empty"),
        ("/layers/dém", "characters 'é'"),
        ("/layers/a b", "characters ' '"),
        ("awsome", "reserved"),
        ("/AWS/x", "reserved"),
        ("/Ssm-x/y", "reserved"),
        ("/layers/" + "x" * 959, None),  # exactly 1011 with arn:aws:ssm:us-east-1:<12 digits>:parameter
        ("/layers/" + "x" * 960, "1012 characters"),
    ],
)
def test_refusal(name, why):
    found = ssm.refusal(name, "us-east-1")
    if why is None:
        assert found is None
    else:
        assert found is not None and why in found


def test_the_arn_prefix_depends_on_the_region_partition():
    name = "/layers/" + "x" * 955
    assert ssm.refusal(name, "us-east-1") is None
    assert "characters; Parameter Store allows 1011" in (ssm.refusal(name, "us-gov-west-1") or "")


def test_names_per_target_with_every_placeholder():
    layers = [make_layer(arch=arch) for arch in ("x86_64", "arm64")]
    triples = [(x.target, x.manifest, x.name) for x in layers]
    named = ssm.names("/l/{recipe}/{runtime}/{arch}/{py}/{layer}", triples, ["eu-west-1"])
    assert named == {
        "python3.12-x86_64": "/l/demo/python3.12/x86_64/py312/demo-py312-x86_64",
        "python3.12-arm64": "/l/demo/python3.12/arm64/py312/demo-py312-arm64",
    }
    with pytest.raises(ConfigError, match="unknown placeholder"):
        ssm.names("/l/{region}", triples, ["eu-west-1"])
    with pytest.raises(ConfigError, match="the same name '/l/demo'"):
        ssm.names("/l/{recipe}", triples, ["eu-west-1"])
