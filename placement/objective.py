"""Objectives: the terms a placement is judged by, how to combine them, and their evaluation.

Terms (all minimised): ``cost`` (price of the resources used, per hour), ``edge`` (vCPUs placed on
edge sites: keep expensive edge resources free), ``consolidate`` (number of sites used),
``spread`` (minus the number of sites used: spread one service over locations), ``moves``
(functions moved away from their current site: re-placement).

A spec is one term (``cost``), a weighted sum (``cost=1,edge=0.05``) or a lexicographic order
(``moves>cost``: fewest moves first, cheapest among those).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from placement.model import Lab, Problem

TERMS = ("cost", "edge", "consolidate", "spread", "moves")


@dataclass(frozen=True)
class Objective:
    """Weighted terms, optimised in lexicographic stages (one stage: a plain weighted sum)."""

    stages: tuple[tuple[tuple[str, float], ...], ...]

    @classmethod
    def parse(cls, spec: str) -> Objective:
        """Parse ``cost``, ``cost=1,edge=0.1`` or ``moves>cost`` (stages of weighted sums)."""
        stages = []
        for stage_text in spec.split(">"):
            stage = []
            for part in stage_text.split(","):
                name, _, weight = part.strip().partition("=")
                name = name.strip()
                if name not in TERMS:
                    raise ValueError(
                        f"unknown objective term '{name}' (known: {', '.join(TERMS)})"
                    )
                try:
                    value = float(weight) if weight else 1.0
                except ValueError:
                    raise ValueError(f"weight of '{name}' is not a number: {weight!r}") from None
                stage.append((name, value))
            stages.append(tuple(stage))
        return cls(tuple(stages))

    @property
    def terms(self) -> set[str]:
        """All terms used by any stage."""
        return {name for stage in self.stages for name, _ in stage}

    def __str__(self) -> str:
        return ">".join(",".join(n if w == 1 else f"{n}={w:g}" for n, w in s) for s in self.stages)


def evaluate(
    problem: Problem,
    lab: Lab,
    assignment: Mapping[str, str],
    current: Mapping[str, str] | None = None,
) -> dict[str, float]:
    """Value of every term for a complete assignment (computed directly, not by the solver)."""
    sites = {s.name: s for s in lab.sites}
    cost = sum(f.demand.price(sites[assignment[f.id]].price) for f in problem.functions)
    edge = sum(f.demand.vcpu for f in problem.functions if sites[assignment[f.id]].tier == "edge")
    used = len({assignment[f.id] for f in problem.functions})
    current = current or {}
    moves = sum(
        1 for f in problem.functions if f.id in current and current[f.id] != assignment[f.id]
    )
    return {
        "cost": cost,
        "edge": edge,
        "consolidate": float(used),
        "spread": -float(used),
        "moves": float(moves),
    }


def combined(objective: Objective, terms: Mapping[str, float]) -> tuple[float, ...]:
    """Stage values of the objective for evaluated terms (compare lexicographically)."""
    return tuple(sum(w * terms[name] for name, w in stage) for stage in objective.stages)
