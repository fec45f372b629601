"""``osm-locus place``: optimal placement of an NS or netslice on a lab, as OSM parameters."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from osm_locus.catalogue import CatalogueError, problem_of, resolve_target
from osm_locus.cli.output import print_table as print_table_rows
from osm_locus.intent import load_intent
from placement.demand import DemandError
from placement.lab import LabError, lab_schema, load_lab
from placement.model import InfeasibleError, Lab, Placement, Problem
from placement.params import osm_params


def build_problem(target: str, packages: Path | None, intent_file: Path | None) -> Problem:
    """The placement problem of ``target`` (NSD or NST package) with its intent.

    The intent is ``intent_file``, else the package's own ``osm-locus/intent.yaml``.
    """
    source, index = resolve_target(target, packages)
    return problem_of(source, index, load_intent(intent_file, source).placement)


@click.command()
@click.argument("target", required=False)
@click.option(
    "--lab",
    "lab_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Lab description (default: the LOCUS testbeds shipped with osm-locus).",
)
@click.option(
    "--objective",
    default="cost",
    show_default=True,
    help="cost | edge | consolidate | spread, weighted (cost=1,edge=0.1) or "
    "lexicographic (edge>cost).",
)
@click.option(
    "--intent",
    "intent_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Per-function rules: tier, pin, sites, max_area_latency, (anti-)affinity.",
)
@click.option(
    "--packages",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder of packages to resolve references (default: the target's parent).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the OSM instantiation parameters (YAML) to this file.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "yaml", "json"]),
    default="table",
    show_default=True,
)
@click.option("--time-limit", type=float, default=60.0, show_default=True, help="Seconds.")
@click.option(
    "--lab-schema", "show_schema", is_flag=True, help="Print the lab file's JSON schema and exit."
)
def place(
    target: str | None,
    lab_file: Path | None,
    objective: str,
    intent_file: Path | None,
    packages: Path | None,
    output: Path | None,
    fmt: str,
    time_limit: float,
    show_schema: bool,
) -> None:
    """Place the VNFs/KNFs of TARGET (an NS or netslice package) on the lab's VIM accounts."""
    if show_schema:
        click.echo(json.dumps(lab_schema(), indent=2))
        return
    if not target:
        raise click.UsageError("missing TARGET (an NS or netslice package)")
    from placement.solver import solve

    try:
        lab = load_lab(lab_file)
        problem = build_problem(target, packages, intent_file)
        result = solve(problem, lab, objective, time_limit=time_limit)
    except (LabError, CatalogueError, DemandError, ValueError, TimeoutError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except InfeasibleError as exc:
        click.echo(f"error: {problem.name} cannot be placed on lab {lab.name}:", err=True)
        for reason in exc.reasons:
            click.echo(f"  - {reason}", err=True)
        sys.exit(1)
    params = osm_params(problem, lab, result.assignment)
    if output is not None:
        output.write_text(yaml.safe_dump(params, sort_keys=False))
    if fmt == "yaml":
        click.echo(yaml.safe_dump(params, sort_keys=False), nl=False)
    elif fmt == "json":
        click.echo(
            json.dumps(
                {"placement": report(problem, lab, result, objective), "params": params}, indent=2
            )
        )
    else:
        print_table(problem, lab, result, objective)
        if output is not None:
            click.echo(f"OSM instantiation parameters written to {output}")


def report(problem: Problem, lab: Lab, result: Placement, objective: str) -> dict[str, Any]:
    """JSON-able summary: assignment, terms, optimality and link latencies."""
    return {
        "target": problem.name,
        "lab": lab.name,
        "objective": objective,
        "assignment": result.assignment,
        "terms": result.terms,
        "proven_optimal": result.proven_optimal,
        "gap": result.gap,
        "seconds": result.seconds,
        "formulation": result.formulation,
        "links": [_link_row(link, lab, result.assignment) for link in problem.links],
    }


def _link_row(link: Any, lab: Lab, assignment: dict[str, str]) -> dict[str, Any]:
    sa, sb = assignment[link.a], assignment[link.b]
    lat = lab.link(sa, sb)
    return {
        "a": link.a,
        "b": link.b,
        "vld": link.vld,
        "sites": [sa, sb],
        "latency_ms": lat[0] if lat else None,
        "jitter_ms": lat[1] if lat else None,
        "max_latency_ms": link.max_latency_ms,
        "max_jitter_ms": link.max_jitter_ms,
    }


def print_table(problem: Problem, lab: Lab, result: Placement, objective: str) -> None:
    """Function -> site table, then each link's latency against its bound."""
    quality = "proven optimal" if result.proven_optimal else f"gap {result.gap:.2%} (time limit)"
    click.echo(
        f"{problem.name} on lab {lab.name}, objective {objective}: {quality}, cost "
        f"{result.terms['cost']:.4f}/h, solved in {result.seconds:.2f} s"
    )
    rows = []
    for f in problem.functions:
        site = lab.site(result.assignment[f.id])
        rows.append(
            (
                f.id,
                f.vnfd_id,
                f.kind,
                site.name,
                site.tier,
                site.k8s_cluster or "-",
                str(f.demand),
                f"{f.demand.price(site.price):.4f}",
            )
        )
    print_table_rows(
        ("function", "vnfd", "kind", "site", "tier", "k8s cluster", "resources", "cost/h"), rows
    )
    if problem.links:
        click.echo("")
        links = []
        for link in problem.links:
            row = _link_row(link, lab, result.assignment)
            bound = link.bound_text()
            links.append(
                (
                    f"{link.a} - {link.b}",
                    link.vld,
                    f"{row['sites'][0]} - {row['sites'][1]}",
                    f"{row['latency_ms']:g} ms",
                    f"{row['jitter_ms']:g} ms",
                    bound,
                )
            )
        print_table_rows(("link", "vld", "sites", "latency", "jitter", "bound"), links)
    for note in result.notes:
        click.echo(f"note: {note}")
