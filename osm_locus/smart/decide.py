"""The loop's decision, a pure function: metrics snapshot + current state -> intended actions.

Nothing here talks to Prometheus or OSM; the runner gathers an :class:`Observation` per policy,
calls :func:`decide`, executes the actions and records them in the :class:`PolicyState`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from osm_locus.smart.policy import Policy

HOUR_S = 3600.0


@dataclass(frozen=True)
class Observation:
    """What the runner saw for one policy's VNF."""

    value: float | None = None  # the policy's query now (None: no data)
    forecast: float | None = None  # the query predicted ``predict.horizon_s`` ahead
    instances: int = 1  # running instances of the scaled VDU/KDU
    units_down: tuple[str, ...] = ()  # VDU records not ACTIVE (vdu-id:count-index)
    in_flight: bool = False  # an operation of this NS is still PROCESSING
    last_failure: str | None = None  # errorMessage of this policy's last failed operation


@dataclass(frozen=True)
class PolicyState:
    """Memory of one policy between rounds."""

    above_since: float | None = None
    below_since: float | None = None
    last_action_at: float | None = None
    action_times: tuple[float, ...] = ()
    heal_step: int = 0  # 0 nothing yet, 1 restarted, 2 healed, 3 relocated


@dataclass(frozen=True)
class Action:
    """An intended operation and why."""

    policy: str
    kind: str  # scale_out | scale_in | restart | heal | relocate
    reason: str
    params: dict[str, str] = field(default_factory=dict)


def decide(
    policies: list[Policy],
    observations: Mapping[str, Observation],
    states: Mapping[str, PolicyState],
    now: float,
) -> tuple[list[Action], dict[str, PolicyState]]:
    """Actions to take now and the policies' updated memory (nothing else changes)."""
    actions: list[Action] = []
    new_states: dict[str, PolicyState] = {}
    busy_ns: set[str] = set()
    for policy in policies:
        obs = observations.get(policy.name, Observation())
        state = states.get(policy.name, PolicyState())
        if policy.kind == "scale":
            action, state = _scale(policy, obs, state, now)
        else:
            action, state = _heal(policy, obs, state, now)
        if action is not None and policy.ns in busy_ns:
            action = None  # one operation in flight per NS, also within a round
        if action is not None:
            busy_ns.add(policy.ns)
            actions.append(action)
            state = replace(
                state,
                last_action_at=now,
                action_times=(*(t for t in state.action_times if now - t < HOUR_S), now),
            )
        new_states[policy.name] = state
    return actions, new_states


def _blocked(policy: Policy, obs: Observation, state: PolicyState, now: float) -> str | None:
    if obs.in_flight:
        return "an operation of the NS is in flight"
    if state.last_action_at is not None and now - state.last_action_at < policy.cooldown_s:
        return f"cooldown ({policy.cooldown_s:g} s)"
    recent = [t for t in state.action_times if now - t < HOUR_S]
    if len(recent) >= policy.max_actions_per_hour:
        return f"max {policy.max_actions_per_hour} actions per hour reached"
    return None


def _scale(
    policy: Policy, obs: Observation, state: PolicyState, now: float
) -> tuple[Action | None, PolicyState]:
    if obs.value is None:
        return None, replace(state, above_since=None, below_since=None)
    above = obs.value > policy.scale_out_above
    below = obs.value < policy.scale_in_below
    state = replace(
        state,
        above_since=(state.above_since if state.above_since is not None else now)
        if above
        else None,
        below_since=(state.below_since if state.below_since is not None else now)
        if below
        else None,
    )
    if _blocked(policy, obs, state, now):
        return None, state
    predicted_high = obs.forecast is not None and obs.forecast > policy.scale_out_above
    held_high = state.above_since is not None and now - state.above_since >= policy.for_s
    if (held_high or predicted_high) and obs.instances < policy.max_instances:
        why = (
            f"{obs.value:.1f} > {policy.scale_out_above:g} for {now - state.above_since:.0f} s"
            if held_high and state.above_since is not None
            else f"forecast {obs.forecast:.1f} > {policy.scale_out_above:g} (now {obs.value:.1f})"
        )
        return Action(policy.name, "scale_out", why), replace(state, above_since=None)
    held_low = state.below_since is not None and now - state.below_since >= policy.for_s
    forecast_ok = obs.forecast is None or obs.forecast < policy.scale_out_above * 0.9
    # after scaling in, the same load spreads over one instance fewer
    after_in = obs.value * obs.instances / max(obs.instances - 1, 1)
    if (
        held_low
        and forecast_ok
        and obs.instances > policy.min_instances
        and after_in < policy.scale_out_above
    ):
        held = now - (state.below_since or now)
        why = f"{obs.value:.1f} < {policy.scale_in_below:g} for {held:.0f} s"
        return Action(policy.name, "scale_in", why), replace(state, below_since=None)
    return None, state


def _since(previous: float | None, now: float) -> float:
    return previous if previous is not None else now


def _heal(
    policy: Policy, obs: Observation, state: PolicyState, now: float
) -> tuple[Action | None, PolicyState]:
    if not obs.units_down:
        return None, replace(state, heal_step=0)
    if obs.in_flight:
        return None, state
    settled = state.last_action_at is None or now - state.last_action_at >= policy.settle_s
    failed = obs.last_failure is not None
    if not settled and not failed:
        return None, state
    down = ", ".join(obs.units_down)
    step = state.heal_step
    if step == 0 and policy.restart_primitive:
        return (
            Action(policy.name, "restart", f"{down} down: restart primitive first"),
            replace(state, heal_step=1),
        )
    if step <= 1:
        return (
            Action(
                policy.name, "heal", f"{down} down" + (": restart did not help" if step else "")
            ),
            replace(state, heal_step=2),
        )
    if step == 2 and policy.relocate:
        cause = f" ({obs.last_failure})" if obs.last_failure else ""
        return (
            Action(policy.name, "relocate", f"{down} still down after heal{cause}: re-place"),
            replace(state, heal_step=3),
        )
    return None, state
