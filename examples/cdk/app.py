"""A CDK app (Python) with a layer-builder layer and a function that uses it.

`cdk synth` runs this file; the layer is built (or answered from layer-builder's cache in
layers/) while the app runs, and the stack uploads that exact zip.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from builder.cdk import LayerBuilderLayer

RUNTIME = os.environ.get("LAYER_RUNTIME", "python3.12")
ARCHITECTURE = os.environ.get("LAYER_ARCH", "x86_64")


class AnalyticsStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)
        layer = LayerBuilderLayer(
            self,
            "AnalyticsLayer",
            recipe=os.environ.get("LAYER_RECIPE", "analytics"),
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
        )
        lambda_.Function(
            self,
            "AnalyticsFunction",
            runtime=lambda_.Runtime(RUNTIME, lambda_.RuntimeFamily.PYTHON),
            architecture=lambda_.Architecture.ARM_64 if ARCHITECTURE == "arm64" else lambda_.Architecture.X86_64,
            handler="app.handler",
            code=lambda_.Code.from_asset("src"),
            layers=[layer],
            memory_size=1024,
            timeout=cdk.Duration.seconds(30),
        )
        cdk.CfnOutput(self, "AnalyticsLayerArn", value=layer.layer_version_arn)


app = cdk.App()
AnalyticsStack(app, "AnalyticsStack")
app.synth()
