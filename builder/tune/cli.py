"""`layer-builder tune`: duration and cost against memory, locally in containers or measured on AWS.

Parses, calls one sweep (local.run_local or sweep.run_sweep), renders. builder/cli.py loads this
module only when `tune` runs; the docker SDK and boto3 are imported only by the mode that needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import typer

from builder.console import choice, console, err_console, handle_errors
from builder.errors import ConfigError
from builder.runtimes import ARCHITECTURES, get_target
from builder.tune import analysis, plan, prices, render
from builder.tune.model import DEFAULT_WEIGHT, STRATEGIES, Report, Strategy

app = typer.Typer()

LOCAL_RUNS = 5
AWS_RUNS = 10


@app.command("tune")
@handle_errors
def tune(
    handler: str | None = typer.Option(None, "--handler", help="Local: the handler, e.g. app.handler."),
    code: Path | None = typer.Option(None, "--code", help="Local: the function's source folder (/var/task)."),
    layer: list[str] | None = typer.Option(
        None, "--layer", metavar="RECIPE", help="Local: a built layer, in order (repeatable)."
    ),
    runtime: str | None = typer.Option(
        None, "--runtime", "-r", help="Local: the Lambda runtime, e.g. python3.12."
    ),
    arch: str = typer.Option(
        "x86_64", "--arch", "-a", callback=choice(ARCHITECTURES, "architecture"), help="x86_64 or arm64."
    ),
    event: Path | None = typer.Option(None, "--event", help="Local: the event, a JSON file (default {})."),
    layers_dir: Path = typer.Option(
        Path("layers"), "--layers-dir", help="Local: where build wrote the layers."
    ),
    base_image: str | None = typer.Option(
        None, "--base-image", help="Local: base image instead of the runtime's build image."
    ),
    network: str = typer.Option("host", "--network", help="Local: network for the container."),
    keep_container: bool = typer.Option(
        False, "--keep-container", help="Local: keep the container for debugging."
    ),
    cold_starts: int = typer.Option(
        2, "--cold-starts", min=1, max=20, help="Local: fresh processes (INIT) per size."
    ),
    function: str | None = typer.Option(None, "--function", help="AWS: the function's name or ARN."),
    region: str | None = typer.Option(
        None,
        "--region",
        help="AWS: the function's region (default: AWS_REGION, AWS_DEFAULT_REGION or the profile's).",
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="AWS: profile for credentials and the default region (default: AWS_PROFILE)."
    ),
    payload: Path | None = typer.Option(None, "--payload", help="AWS: the event, a JSON file (default {})."),
    parallel: int = typer.Option(1, "--parallel", min=1, max=100, help="AWS: invocations at once per size."),
    strategy: str = typer.Option(
        "balanced",
        "--strategy",
        callback=choice(STRATEGIES, "strategy"),
        help="AWS: what --apply sets: cost, speed or balanced.",
    ),
    apply: bool = typer.Option(False, "--apply", help="AWS: set the recommended memory at the end."),
    memory: list[str] | None = typer.Option(
        None, "--memory", help=f"Memory sizes in MB (default {plan.DEFAULT_MEMORY})."
    ),
    runs: int | None = typer.Option(
        None,
        "--runs",
        min=1,
        max=1000,
        help=f"Warm invocations per size (default {LOCAL_RUNS} local, {AWS_RUNS} AWS).",
    ),
    weight: float = typer.Option(
        DEFAULT_WEIGHT, "--balanced-weight", help="balanced: 1.0 is cost only, 0.0 speed only."
    ),
    price_file: Path | None = typer.Option(
        None, "--price-file", help="Prices of another region or plan (TOML, like the shipped one)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON on stdout."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML page with the charts."
    ),
) -> None:
    """Duration and cost against memory: locally (--handler) or measured on AWS (--function)."""
    analysis.check_weight(weight)
    price_list = prices.load(price_file)
    sizes = plan.parse_memory(memory or [plan.DEFAULT_MEMORY], price_list)
    if (handler is None) == (function is None):
        raise ConfigError(
            "pass either --handler (run it locally) or --function (measure it on AWS)",
            hint="layer-builder tune --handler app.handler --code src --layer RECIPE -r python3.12, "
            "or layer-builder tune --function NAME --region us-east-1",
        )
    if handler is not None:
        _refuse(
            "--handler",
            function=function,
            region=region,
            profile=profile,
            payload=payload,
            apply=apply or None,
        )
        result = _local(
            handler,
            code,
            layer or [],
            runtime,
            arch,
            event,
            layers_dir,
            base_image,
            network,
            keep_container,
            cold_starts,
            sizes,
            runs or LOCAL_RUNS,
            price_list,
            weight,
        )
    else:
        _refuse(
            "--function", code=code, layer=layer or None, runtime=runtime, event=event, base_image=base_image
        )
        from builder.tune import awscli

        result = awscli.run(
            function or "",
            region,
            profile,
            payload,
            parallel,
            cast(Strategy, strategy),
            apply,
            sizes,
            runs or AWS_RUNS,
            price_list,
            weight,
        )
    _output(result, as_json, html)


def _refuse(mode: str, **given: object) -> None:
    for name, value in given.items():
        if value is not None:
            option = "--" + name.replace("_", "-")
            raise ConfigError(
                f"{option} does not go with {mode}", hint=f"drop {option}, or tune the other way"
            )


def _local(
    handler: str,
    code: Path | None,
    layers: list[str],
    runtime: str | None,
    arch: str,
    event: Path | None,
    layers_dir: Path,
    base_image: str | None,
    network: str,
    keep: bool,
    cold_starts: int,
    sizes: tuple[int, ...],
    runs: int,
    price_list: prices.Prices,
    weight: float,
) -> Report:
    from builder.tune import local

    if code is None or runtime is None:
        raise ConfigError("--handler needs --code DIR and --runtime", hint="e.g. --code src -r python3.12")
    target = get_target(runtime, arch)
    request = local.LocalRequest(
        handler=plan.check_handler(handler),
        code=plan.check_code(code),
        layer_zips=plan.layer_zips(layers_dir, layers, target),
        target=target,
        event_text=plan.read_event(event),
        memory=sizes,
        runs=runs,
        cold_starts=cold_starts,
        base_image=base_image,
        network=network,
        keep_container=keep,
    )
    measurements, notes = local.run_local(
        request, price_list, lambda text: err_console.print(text, markup=False)
    )
    return analysis.report(
        mode="local",
        subject=handler,
        arch=arch,
        runtime=runtime,
        runs=runs,
        measurements=measurements,
        prices=price_list,
        weight=weight,
        notes=notes,
    )


def _output(result: Report, as_json: bool, html: Path | None) -> None:
    if html is not None:
        from builder.tune import page

        page.write(html, result)
    if as_json:
        import json

        console.out(json.dumps(render.report_json(result), indent=2), highlight=False)
    else:
        render.show(result, console)
    if html is not None:
        err_console.print(f"wrote {html}")
