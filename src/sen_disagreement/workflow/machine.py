"""A small, explicit state-machine definition, checked when it is defined.

A :class:`StateMachine` is built from two enums (its states and its events) and a list of
:class:`Transition` rows. Building it checks that the definition is sound, and raises
:class:`MachineDefinitionError` otherwise:

* exactly one initial state, and it is one of the declared states;
* every final state is declared and has no outgoing transition;
* every transition names declared states and events, and no (state, event) pair appears twice
  (the machine is deterministic);
* every declared event is used by at least one transition;
* every state is reachable from the initial state;
* every non-final state can reach a final state.

The machine holds no case data: a case stores its current state and asks the machine for the
target of an event (:meth:`StateMachine.target`), which raises
:class:`~sen_disagreement.errors.InvalidTransitionError` naming the state and the event when the
event is not allowed there.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

from attrs import field, frozen

from sen_disagreement.errors import InvalidTransitionError, SenDisagreementError

__all__ = ["MachineDefinitionError", "StateMachine", "Transition"]

StateT = TypeVar("StateT", bound=enum.Enum)
EventT = TypeVar("EventT", bound=enum.Enum)


class MachineDefinitionError(SenDisagreementError, ValueError):
    """A state-machine definition is unsound. ``machine`` names it and ``problem`` says why."""

    def __init__(self, machine: str, problem: str) -> None:
        self.machine = machine
        self.problem = problem
        super().__init__(f"state machine {machine!r}: {problem}")


@frozen
class Transition(Generic[StateT, EventT]):
    """From ``source``, ``event`` leads to ``target``."""

    source: StateT
    event: EventT
    target: StateT


def _tuple(value: Iterable[object]) -> tuple[object, ...]:
    return tuple(value)


@frozen
class StateMachine(Generic[StateT, EventT]):
    """An explicit, checked state machine over the enums ``states`` and ``events``."""

    name: str
    states: type[StateT]
    events: type[EventT]
    initial: StateT
    final: frozenset[StateT]
    transitions: tuple[Transition[StateT, EventT], ...] = field(converter=_tuple)
    rule_id: str
    """The rule id used in :class:`InvalidTransitionError` (``workflow.<name>``)."""
    citation: str
    """The citation of the process this machine models."""
    _table: Mapping[tuple[StateT, EventT], StateT] = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        table = _check(self)
        object.__setattr__(self, "_table", table)

    # --- queries --------------------------------------------------------------------------------

    def is_final(self, state: StateT) -> bool:
        return state in self.final

    def allowed(self, state: StateT) -> tuple[EventT, ...]:
        """The events allowed in ``state``, in declaration order."""
        return tuple(e for e in self.events if (state, e) in self._table)

    def can(self, state: StateT, event: EventT) -> bool:
        return (state, event) in self._table

    def target(self, state: StateT, event: EventT) -> StateT:
        """The state ``event`` leads to from ``state``; raise
        :class:`InvalidTransitionError` naming both when the event is not allowed there."""
        try:
            return self._table[(state, event)]
        except KeyError:
            allowed = ", ".join(e.value for e in self.allowed(state)) or "none (final state)"
            raise InvalidTransitionError(
                f"{self.name}: action {event.value!r} is not allowed in state {state.value!r} "
                f"(allowed: {allowed})",
                rule_id=self.rule_id,
                citation=self.citation,
            ) from None

    def reachable(self) -> frozenset[StateT]:
        """States reachable from the initial state."""
        return _reach(self.initial, _forward(self.transitions))

    def mermaid(self) -> str:
        """A Mermaid ``stateDiagram-v2`` of the machine (used by the docs)."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial.value}"]
        for t in self.transitions:
            lines.append(f"    {t.source.value} --> {t.target.value}: {t.event.value}")
        lines.extend(f"    {s.value} --> [*]" for s in self.states if s in self.final)
        return "\n".join(lines)


def _forward(
    transitions: Iterable[Transition[StateT, EventT]],
) -> dict[StateT, set[StateT]]:
    graph: dict[StateT, set[StateT]] = {}
    for t in transitions:
        graph.setdefault(t.source, set()).add(t.target)
    return graph


def _reach(start: StateT, graph: Mapping[StateT, set[StateT]]) -> frozenset[StateT]:
    seen = {start}
    todo = deque([start])
    while todo:
        for nxt in graph.get(todo.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


def _check(m: StateMachine[StateT, EventT]) -> dict[tuple[StateT, EventT], StateT]:
    def fail(problem: str) -> MachineDefinitionError:
        return MachineDefinitionError(m.name, problem)

    states = list(m.states)
    if not isinstance(m.initial, m.states):
        raise fail("the initial state must be one of the declared states")
    if not m.final:
        raise fail("at least one final state is needed")
    for s in m.final:
        if not isinstance(s, m.states):
            raise fail(f"final state {s!r} is not a declared state")
    if m.initial in m.final:
        raise fail("the initial state cannot be final")
    table: dict[tuple[StateT, EventT], StateT] = {}
    for t in m.transitions:
        if not isinstance(t, Transition):
            raise fail("transitions must be Transition rows")
        if not isinstance(t.source, m.states) or not isinstance(t.target, m.states):
            raise fail(f"transition {t!r} names an undeclared state")
        if not isinstance(t.event, m.events):
            raise fail(f"transition {t!r} names an undeclared event")
        if t.source in m.final:
            raise fail(f"final state {t.source.value!r} has an outgoing transition")
        key = (t.source, t.event)
        if key in table:
            raise fail(f"event {t.event.value!r} appears twice from state {t.source.value!r}")
        table[key] = t.target
    used = {t.event for t in m.transitions}
    unused = [e.value for e in m.events if e not in used]
    if unused:
        raise fail(f"declared events never used: {', '.join(unused)}")
    reachable = _reach(m.initial, _forward(m.transitions))
    unreachable = [s.value for s in states if s not in reachable]
    if unreachable:
        raise fail(f"states unreachable from {m.initial.value!r}: {', '.join(unreachable)}")
    backward: dict[StateT, set[StateT]] = {}
    for t in m.transitions:
        backward.setdefault(t.target, set()).add(t.source)
    can_finish: set[StateT] = set()
    for f in m.final:
        can_finish |= _reach(f, backward)
    stuck = [s.value for s in states if s not in can_finish]
    if stuck:
        raise fail(f"states that can never reach a final state: {', '.join(stuck)}")
    return table
