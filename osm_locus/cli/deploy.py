"""``osm-locus deploy | action | status | terminate``: the NBI-driven lifecycle commands.

Without ``--nbi`` (and without OSM_HOSTNAME), ``deploy`` starts the embedded OSM lab in-process on
a loopback port and deploys there; the other commands need an NBI to talk to.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any

import click

from osm_locus.cli.output import print_table
from osm_locus.nbi import Connection, Credentials
from osm_locus.nbi.client import url_from_env
from osm_locus.nbi.errors import NbiError


def nbi_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--nbi, --user, --password, --project, --ca-file, --insecure, --http-timeout."""
    options = [
        click.option(
            "--nbi",
            metavar="URL",
            help="OSM NBI base URL, e.g. https://osm:9999/osm (default: OSM_HOSTNAME).",
        ),
        click.option("--user", envvar="OSM_USER", default="admin", show_default=True),
        click.option(
            "--password",
            envvar="OSM_PASSWORD",
            default="admin",
            show_default=False,
            help="Prefer the OSM_PASSWORD variable: arguments show in the process list.",
        ),
        click.option("--project", envvar="OSM_PROJECT", default="admin", show_default=True),
        click.option(
            "--ca-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="CA bundle that signed the NBI's certificate (OSM's is self-signed).",
        ),
        click.option("--insecure", is_flag=True, help="Do not verify the NBI's TLS certificate."),
        click.option(
            "--http-timeout",
            type=float,
            default=30.0,
            show_default=True,
            help="Seconds for one NBI call.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@contextlib.contextmanager
def connection(
    nbi: str | None,
    user: str,
    password: str,
    project: str,
    ca_file: Path | None,
    insecure: bool,
    http_timeout: float,
    lab_file: Path | None = None,
    embedded: bool = False,
) -> Iterator[Connection]:
    """A connection to ``nbi`` / OSM_HOSTNAME, or to an in-process embedded lab."""
    url = nbi or url_from_env()
    verify: bool | str = False if insecure else (str(ca_file) if ca_file else True)
    timeouts = (min(5.0, http_timeout), http_timeout)
    if url:
        credentials = Credentials(user, password, project)
        with Connection(url, credentials, verify=verify, timeout=timeouts) as conn:
            yield conn
        return
    if not embedded:
        raise click.UsageError(
            "no NBI: give --nbi URL or set OSM_HOSTNAME (a local one: osm-locus lab serve)"
        )
    from osm_locus.lab.app import create_app
    from osm_locus.lab.server import LabServer
    from placement.lab import load_lab

    with LabServer(create_app(load_lab(lab_file), delay=0.2)) as server:
        click.echo(f"embedded OSM lab at {server.url} (in this process, gone at exit)", err=True)
        with Connection(server.url, Credentials(), timeout=timeouts) as conn:
            yield conn


def fails_cleanly(fn: Callable[..., None]) -> Callable[..., None]:
    """Turn the pipeline's errors into ``error: ...`` on stderr and exit status 1."""
    from osm_locus.catalogue import CatalogueError
    from osm_locus.deploy import DeployError
    from osm_locus.smart.policy import PolicyError
    from osm_locus.smart.prometheus import PrometheusError
    from osm_locus.smart.rightsize import RightsizeError
    from placement.demand import DemandError
    from placement.lab import LabError
    from placement.model import InfeasibleError

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except InfeasibleError as exc:
            click.echo("error: no placement satisfies the constraints:", err=True)
            for reason in exc.reasons:
                click.echo(f"  - {reason}", err=True)
            sys.exit(1)
        except (
            NbiError,
            DeployError,
            CatalogueError,
            DemandError,
            LabError,
            PolicyError,
            PrometheusError,
            RightsizeError,
        ) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


@click.command()
@click.argument("target")
@click.option(
    "--lab",
    "lab_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Lab description for placement (sites = VIM accounts; default: the LOCUS testbeds).",
)
@click.option("--objective", default="cost", show_default=True, help="As for `place`.")
@click.option(
    "--intent",
    "intent_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Intent file (default: the package's osm-locus/intent.yaml).",
)
@click.option(
    "--packages",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of packages (default: the target's parent).",
)
@click.option("--name", help="Instance name (default: from the descriptor id).")
@click.option("--wait/--no-wait", default=True, show_default=True)
@click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds.")
@click.option("--rollback", is_flag=True, help="On failure remove what this run created.")
@click.option("--update", is_flag=True, help="Onboard changed packages as new revisions.")
@nbi_options
@fails_cleanly
def deploy(
    target: str,
    lab_file: Path | None,
    objective: str,
    intent_file: Path | None,
    packages: Path | None,
    name: str | None,
    wait: bool,
    timeout: float,
    rollback: bool,
    update: bool,
    **nbi: Any,
) -> None:
    """Onboard TARGET (NS or netslice package) and what it needs, place it, instantiate it."""
    from osm_locus.deploy import deploy as run
    from placement.lab import load_lab

    lab = load_lab(lab_file)
    with connection(**nbi, lab_file=lab_file, embedded=True) as conn:
        result = run(
            conn,
            target,
            packages,
            lab=lab,
            objective=objective,
            intent_file=intent_file,
            name=name,
            wait=wait,
            timeout=timeout,
            rollback=rollback,
            update=update,
            report=lambda line: click.echo(line, err=True),
        )
        click.echo(
            f"{result.kind} '{result.name}' ({result.instance_id}) on {conn.url}: {result.state}"
        )
        if result.functions:
            show_functions(result.functions)
        for line in result.wiring:
            click.echo(f"wired: {line}")


def show_functions(functions: list[Any]) -> None:
    """The placement and state table of a deployed service."""
    print_table(
        ["function", "vnfd", "site", "k8s cluster", "addresses", "ns state", "units"],
        [
            [
                f.function,
                f.vnfd,
                f.site,
                f.k8s_cluster,
                ", ".join(f.addresses) or "-",
                f.ns_state,
                f.units,
            ]
            for f in functions
        ],
    )


@click.command()
@click.argument("ns")
@click.option("--vnf", "member", required=True, help="member-vnf-index of the VNF.")
@click.option("--primitive", required=True, help="Config primitive (charm action) to run.")
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@click.option("--timeout", type=float, default=300.0, show_default=True)
@nbi_options
@fails_cleanly
def action(
    ns: str, member: str, primitive: str, params: tuple[str, ...], timeout: float, **nbi: Any
) -> None:
    """Run a Day-2 primitive on VNF --vnf of NS instance NS (id or name), like `osm ns-action`."""
    values = {}
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"'{item}' is not KEY=VALUE", param_hint="--param")
        values[key] = value
    with connection(**nbi) as conn:
        from osm_locus.api import action as run_action

        op = run_action(conn, ns, member, primitive, values, timeout=timeout)
        click.echo(f"{primitive} on {ns} vnf {member}: {op.state}")
        if op.detailed_status:
            click.echo(op.detailed_status)


@click.command()
@click.argument("instance", required=False)
@nbi_options
@fails_cleanly
def status(instance: str | None, **nbi: Any) -> None:
    """NS and netslice instances with their states; with INSTANCE, its functions too."""
    from osm_locus.deploy import functions_of

    with connection(**nbi) as conn:
        if instance is None:
            rows = [["netslice", n.name, n.id, n.state] for n in conn.nsi.list()]
            rows += [["ns", n.name, n.id, n.state] for n in conn.ns.list()]
            print_table(["kind", "name", "id", "state"], rows)
            return
        nsi = conn.nsi.find(instance)
        kind, found = ("netslice", nsi) if nsi else ("ns", conn.ns.find(instance))
        if found is None:
            raise NbiError(f"no NS or netslice instance '{instance}' at {conn.url}")
        click.echo(f"{kind} '{found.name}' ({found.id}): {getattr(found, 'state', '')}")
        show_functions(functions_of(conn, kind, found.id))


@click.command()
@click.argument("instance")
@click.option("--timeout", type=float, default=600.0, show_default=True)
@click.option("--keep", is_flag=True, help="Terminate only; keep the instance record.")
@nbi_options
@fails_cleanly
def terminate(instance: str, timeout: float, keep: bool, **nbi: Any) -> None:
    """Terminate (and delete) NS or netslice instance INSTANCE (id or name)."""
    from osm_locus.deploy import terminate as run

    with connection(**nbi) as conn:
        kind, ident = run(conn, instance, timeout, delete=not keep)
        click.echo(f"{kind} {ident} terminated" + ("" if keep else " and deleted"))
