"""OSM instantiation parameters from a placement, in the NBI's format.

NS: ``{vimAccountId, vnf: [{member-vnf-index, vimAccountId}]}``; netslice: ``{vimAccountId,
netslice-subnet: [{id, vimAccountId, vnf: [...]}]}``. A KNF lands on the K8s cluster attached to
the VIM account chosen for it. VIM accounts are written as their OSM ``_id`` when the lab gives
``vim_account_id``; otherwise as their name, which the deploy pipeline resolves through the NBI.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from placement.model import Lab, Problem


def _account(lab: Lab, site: str, ids: Mapping[str, str] | None) -> str:
    if ids and site in ids:
        return ids[site]
    return lab.site(site).vim_account_id or site


def _main_site(sites: list[str]) -> str:
    return Counter(sites).most_common(1)[0][0]


def ns_params(
    problem: Problem, lab: Lab, assignment: Mapping[str, str], ids: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Instantiation parameters of an NS (``ids``: VIM account name -> OSM _id, optional)."""
    vnf = [
        {"member-vnf-index": f.member_index, "vimAccountId": _account(lab, assignment[f.id], ids)}
        for f in problem.functions
    ]
    main = _main_site([assignment[f.id] for f in problem.functions])
    return {"vimAccountId": _account(lab, main, ids), "vnf": vnf}


def netslice_params(
    problem: Problem, lab: Lab, assignment: Mapping[str, str], ids: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Instantiation parameters of a netslice, one entry per subnet."""
    subnets = []
    for sid in problem.subnets:
        members = [f for f in problem.functions if f.subnet == sid]
        sites = [assignment[f.id] for f in members]
        subnets.append(
            {
                "id": sid,
                "vimAccountId": _account(lab, _main_site(sites), ids),
                "vnf": [
                    {
                        "member-vnf-index": f.member_index,
                        "vimAccountId": _account(lab, assignment[f.id], ids),
                    }
                    for f in members
                ],
            }
        )
    main = _main_site([assignment[f.id] for f in problem.functions])
    return {"vimAccountId": _account(lab, main, ids), "netslice-subnet": subnets}


def osm_params(
    problem: Problem, lab: Lab, assignment: Mapping[str, str], ids: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """NS or netslice parameters, by the problem's kind."""
    if problem.kind == "netslice":
        return netslice_params(problem, lab, assignment, ids)
    return ns_params(problem, lab, assignment, ids)
