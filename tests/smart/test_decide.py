"""The decision function: thresholds, hysteresis, hold time, cooldown, limits, forecast, ladder."""

from __future__ import annotations

from pathlib import Path

import pytest

from osm_locus.smart.decide import Observation, PolicyState, decide
from osm_locus.smart.forecast import linear_forecast
from osm_locus.smart.policy import Policy, PolicyError, load_policies


def scale(**extra: object) -> Policy:
    base: dict[str, object] = {
        "name": "p",
        "kind": "scale",
        "ns": "ns1",
        "member": "cloud",
        "scaling_group": "g",
        "scale_out_above": 70,
        "scale_in_below": 30,
        "for_s": 10,
        "cooldown_s": 60,
        "min_instances": 1,
        "max_instances": 3,
    }
    base.update(extra)
    return Policy.model_validate(base)


def run(policy: Policy, points: list[tuple[float, Observation]]) -> list[tuple[float, str]]:
    """Feed observations in time order; (time, action kind) of each action taken."""
    states: dict[str, PolicyState] = {}
    taken = []
    for now, obs in points:
        actions, states = decide([policy], {policy.name: obs}, states, now)
        taken.extend((now, a.kind) for a in actions)
    return taken


def test_scale_out_only_after_the_hold_time() -> None:
    obs = Observation(value=90, instances=1)
    assert run(scale(), [(t, obs) for t in (0, 5, 9)]) == []
    assert run(scale(), [(t, obs) for t in (0, 5, 10)]) == [(10, "scale_out")]


def test_a_dip_resets_the_hold_time() -> None:
    points = [(0, 90), (5, 60), (8, 90), (15, 90), (18, 90)]
    taken = run(scale(), [(t, Observation(value=v, instances=1)) for t, v in points])
    assert taken == [(18, "scale_out")]


def test_cooldown_and_max_instances() -> None:
    points = [
        (t, Observation(value=95, instances=1 if t < 20 else 2 if t < 80 else 3))
        for t in range(0, 200, 5)
    ]
    taken = run(scale(), points)
    assert taken == [(10, "scale_out"), (70, "scale_out")]  # 60 s cooldown between
    at_max = [(t, Observation(value=95, instances=3)) for t in range(0, 100, 5)]
    assert run(scale(), at_max) == []


def test_hysteresis_between_the_thresholds_nothing_happens() -> None:
    points = [(t, Observation(value=50, instances=2)) for t in range(0, 300, 5)]
    assert run(scale(), points) == []


def test_scale_in_when_low_and_the_rest_can_carry_it() -> None:
    low = [(t, Observation(value=20, instances=3)) for t in range(0, 30, 5)]
    assert run(scale(), low) == [(10, "scale_in")]
    # 40 % on 2 instances would be 80 % on 1: above the scale-out threshold, so stay
    tight = [(t, Observation(value=29, instances=2)) for t in range(0, 60, 5)]
    assert run(scale(for_s=0, scale_in_below=35, scale_out_above=50), tight) == []
    at_min = [(t, Observation(value=5, instances=1)) for t in range(0, 60, 5)]
    assert run(scale(), at_min) == []


def test_forecast_scales_before_the_threshold_is_crossed() -> None:
    ramp = [(t, Observation(value=40 + t, instances=1, forecast=40 + t + 60)) for t in (0, 5)]
    assert run(scale(predict={"horizon_s": 60}), ramp) == [(0, "scale_out")]
    no_forecast = [(t, Observation(value=40 + t, instances=1)) for t in (0, 5)]
    assert run(scale(), no_forecast) == []


def test_in_flight_and_rate_limit() -> None:
    busy = [(t, Observation(value=95, instances=1, in_flight=True)) for t in range(0, 60, 5)]
    assert run(scale(), busy) == []
    points = [(t, Observation(value=95, instances=1)) for t in range(0, 3600, 10)]
    taken = run(scale(for_s=0, cooldown_s=0, max_actions_per_hour=4), points)
    assert len(taken) == 4


def test_one_action_per_ns_per_round() -> None:
    a, b = scale(name="a", for_s=0), scale(name="b", for_s=0)
    obs = {"a": Observation(value=95), "b": Observation(value=95)}
    actions, _ = decide([a, b], obs, {}, 0)
    assert [x.policy for x in actions] == ["a"]


def heal(**extra: object) -> Policy:
    base: dict[str, object] = {
        "name": "h",
        "kind": "heal",
        "ns": "ns1",
        "member": "cloud",
        "restart_primitive": "restart-service",
        "settle_s": 20,
        "cooldown_s": 0,
    }
    base.update(extra)
    return Policy.model_validate(base)


def test_heal_ladder_restart_heal_relocate() -> None:
    down = Observation(units_down=("cloud-vdu:0",))
    points = [(t, down) for t in range(0, 70, 5)]
    assert run(heal(), points) == [(0, "restart"), (20, "heal"), (40, "relocate")]
    # a failed heal (site down) goes to re-placement without waiting
    failed = Observation(units_down=("cloud-vdu:0",), last_failure="VIM x is not reachable")
    steps = [(0, down), (5, down), (20, down), (21, failed)]
    assert run(heal(), steps) == [(0, "restart"), (20, "heal"), (21, "relocate")]
    assert run(heal(restart_primitive=None), [(0, down)]) == [(0, "heal")]
    # recovered: the ladder starts over next time
    assert run(heal(), [(0, down), (5, Observation()), (30, down)]) == [
        (0, "restart"),
        (30, "restart"),
    ]


def test_linear_forecast() -> None:
    points = [(float(t), 10.0 + 2 * t) for t in range(10)]
    assert linear_forecast(points, 10) == pytest.approx(10 + 2 * 19)
    assert linear_forecast(points[:3], 10) is None


def test_policy_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("policies:\n  - {name: a, kind: scale, ns: n, member: m}\n")
    with pytest.raises(PolicyError, match="a scale policy needs scaling_group"):
        load_policies(path)
    path.write_text("policies:\n  - {name: a, kind: grow, ns: n, member: m}\n")
    with pytest.raises(PolicyError, match=r"policies\.0\.kind"):
        load_policies(path)
    path.write_text(
        "policies:\n  - {name: a, kind: scale, ns: n, member: m, scaling_group: g,"
        " scale_in_below: 80, scale_out_above: 70}\n"
    )
    with pytest.raises(PolicyError, match="hysteresis"):
        load_policies(path)
