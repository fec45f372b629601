"""``osm-locus package validate|build``: check packages as OSM's NBI would, and build archives."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from osm_locus.charm.build import CharmBuildError
from osm_locus.cli.output import print_table
from osm_locus.package.build import BuildError, build_report
from osm_locus.package.validate import ValidationReport, validate_packages

_PATHS = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
_EXTERNAL = click.option(
    "--external-ok/--no-external",
    default=True,
    show_default=True,
    help="Whether a reference to a descriptor not given (assumed onboarded) is only a warning.",
)


@click.group()
def package() -> None:
    """Validate and build OSM packages (VNF/KNF, NS, netslice templates)."""


@package.command()
@_PATHS
@_EXTERNAL
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def validate(paths: tuple[Path, ...], external_ok: bool, fmt: str) -> None:
    """Validate package folders or .tar.gz archives; exit 1 on any error."""
    report = validate_packages(paths, external_ok=external_ok)
    if fmt == "json":
        click.echo(json.dumps(_as_json(report), indent=2))
    else:
        _print_problems(report)
        _print_summary(report)
    sys.exit(0 if report.ok else 1)


@package.command()
@_PATHS
@_EXTERNAL
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build/packages"),
    show_default=True,
    help="Folder for the archives.",
)
def build(paths: tuple[Path, ...], external_ok: bool, out_dir: Path) -> None:
    """Validate, then write <package>.tar.gz with checksums.txt for each package (all or none)."""
    report = validate_packages(paths, external_ok=external_ok)
    _print_problems(report)
    try:
        built = build_report(report, out_dir)
    except (CharmBuildError, BuildError) as exc:
        click.echo(f"build failed: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"build failed: cannot write to {out_dir}: {exc.strerror}", err=True)
        sys.exit(1)
    rows = [
        (b.name, b.kind, b.descriptor_id, str(b.files), f"{b.size:,} B", str(b.archive))
        for b in built
    ]
    print_table(("package", "kind", "id", "files", "size", "archive"), rows)
    _print_summary(report)


def _print_problems(report: ValidationReport) -> None:
    for problem in report.problems:
        click.echo(str(problem), err=problem.is_error)


def _print_summary(report: ValidationReport) -> None:
    errors = sum(p.is_error for p in report.problems)
    warnings = len(report.problems) - errors
    verdict = "valid" if report.ok else "INVALID"
    click.echo(
        f"{len(report.sources)} package(s) {verdict}: {errors} error(s), {warnings} warning(s)"
    )


def _as_json(report: ValidationReport) -> dict[str, object]:
    return {
        "ok": report.ok,
        "packages": [
            {
                "package": s.name,
                "kind": s.descriptor.kind if s.descriptor else None,
                "id": s.descriptor.id if s.descriptor else None,
                "problems": [
                    {
                        "location": p.location,
                        "path": p.path,
                        "message": p.message,
                        "severity": p.severity.value,
                    }
                    for p in s.problems
                ],
            }
            for s in report.sources
        ],
    }
