"""The hooks a council plugin implements.

A council plugin is a module (or an object) with functions marked ``@hookimpl`` whose names are
among the specifications below. It is found through the ``sen_disagreement`` entry-point group::

    [project.entry-points.sen_disagreement]
    sefton = "sen_disagreement_sefton.plugin"

Every hook that concerns one council receives that council's :class:`CouncilProfile`, so a single
installation serves many councils and a mediation provider working for several local authorities
runs one process for all of them. An implementation answers only for the councils it knows and
returns an empty sequence (or ``None``) for the others.

A plugin speaks only for the councils it owns: the plugin whose ``sen_register_councils``
declares a council owns it, and the other plugins' answers for that council to the hooks in
:data:`OWNED_HOOKS` (providers, contacts, settings, the provider choice) count only if the owner
names them in :attr:`CouncilProfile.delegates <sen_disagreement.council.CouncilProfile.delegates>`
(or the host grants it with :meth:`Hooks.delegate <sen_disagreement.plugins.Hooks.delegate>`).
Any other answer is ignored and reported as a ``conflict`` fault. A council declared by two
plugins has no owner until one of them is blocked: both declarations are faults.

Implementations may accept any subset of a hook's arguments, and must not give them default
values (pluggy does not pass arguments that have defaults). Hooks are called only through
:class:`sen_disagreement.plugins.Hooks`, which calls each implementation on its own, bounds it by a
timeout, checks what it returns and isolates its faults: a plugin that raises, hangs or returns
something malformed is reported with its name and the hook's, and the other plugins still run.

Hook names follow one pattern: ``sen_register_<things>`` declare what a council has;
``sen_choose_<thing>`` decides (the first answer wins); ``sen_after_<event>`` observes;
``sen_council_settings`` and ``sen_resolve_actor`` answer one question (the first answer wins).
Whether the first answer wins is read by the facade from each specification's ``firstresult``.

.. versionadded:: 0.1.0
.. versionchanged:: 0.4.0
   Moved from ``sen_disagreement.hookspecs`` (still importable for one release, with a
   ``DeprecationWarning``); council ownership and delegation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import pluggy

if TYPE_CHECKING:
    from sen_disagreement.actors import Actor
    from sen_disagreement.channels import MessageChannel
    from sen_disagreement.council import (
        CaseContext,
        CaseEvent,
        Contact,
        CouncilProfile,
        NotificationChannel,
        Provider,
    )
    from sen_disagreement.settings import Settings

__all__ = [
    "HOOK_NAMES",
    "INLINE_ATTRIBUTE",
    "OWNED_HOOKS",
    "PROJECT",
    "hookimpl",
    "hookspec",
    "inline",
    "sen_after_case_event",
    "sen_choose_provider",
    "sen_council_settings",
    "sen_register_channels",
    "sen_register_contacts",
    "sen_register_councils",
    "sen_register_providers",
    "sen_resolve_actor",
]

PROJECT = "sen_disagreement"
"""The pluggy project name; also the entry-point group plugins are published under."""

hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks a hook specification (used by this module only)."""

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a hook implementation in a plugin: ``@hookimpl`` above a function named after a hook."""

INLINE_ATTRIBUTE = "sen_disagreement_inline"
"""The attribute :func:`inline` sets on an implementation (``True``)."""

_F = TypeVar("_F", bound=Callable[..., object])


def inline(function: _F) -> _F:
    """Declare a hook implementation safe to call in the caller's thread.

    For an implementation that only returns values it already holds (a council's profile, its
    providers and contacts as constants) and can neither block nor wait on I/O. The facade
    calls it directly even when a per-call timeout is set, saving the hand-off to a worker
    thread (issue 14). Whatever it raises is still isolated as a fault and its answer is checked
    as every answer is; only a hang is no longer bounded, which is why it is the plugin author's
    declaration, for code that cannot hang. Put it under ``@hookimpl``::

        @hookimpl
        @inline
        def sen_register_providers(council): ...
    """
    setattr(function, INLINE_ATTRIBUTE, True)
    return function

HOOK_NAMES = (
    "sen_register_councils",
    "sen_register_providers",
    "sen_register_contacts",
    "sen_register_channels",
    "sen_choose_provider",
    "sen_resolve_actor",
    "sen_council_settings",
    "sen_after_case_event",
)
"""Every hook, in the order the reference documents them."""

OWNED_HOOKS = frozenset({
    "sen_register_providers",
    "sen_register_contacts",
    "sen_choose_provider",
    "sen_council_settings",
})
"""The hooks whose answers for a council count only from its owner and the owner's delegates."""


@hookspec
def sen_register_councils() -> Sequence[CouncilProfile]:
    """Declare the councils (local authorities) this plugin speaks for.

    **When it fires:** when the host lists the installed councils: at start-up, for
    ``sen-disagreement plugins`` / ``council NAME``, and before any other hook for a council.

    **Arguments:** none.

    **Returns:** a sequence of :class:`~sen_disagreement.council.CouncilProfile` (name, GSS code,
    DfE local-authority number, slug); an empty sequence if the plugin speaks for no council
    (for example a plugin that only adds a provider or a channel).

    **First result wins:** no. The answers of every plugin are combined; two plugins declaring the
    same slug, GSS code or LA number is a fault reported against each of them, and the council
    then has no owner (nobody's providers, contacts or settings are heard for it) until one of
    them is blocked: a second declaration never takes a council over.

    **Owns:** the plugin that declares a council is its owner; ``CouncilProfile.delegates``
    names the other plugins whose answers for it count.
    """
    raise NotImplementedError


@hookspec
def sen_register_providers(council: CouncilProfile) -> Sequence[Provider]:
    """Declare the independent providers a council has commissioned.

    **When it fires:** whenever a case of ``council`` needs a provider (before
    :func:`sen_choose_provider`), and for ``council NAME`` and the Open Referral UK export.

    **Arguments:**

    * ``council``: the council asked about. Return nothing for a council you do not serve.

    **Returns:** a sequence of :class:`~sen_disagreement.council.Provider`: disagreement-resolution
    providers, mediators and mediation advisers, each with what the independence rules need (its
    kind and, where the person is employed by a body, that employer). A regional provider's
    plugin can serve many councils, as a delegate of each (the council's plugin names it in
    :attr:`~sen_disagreement.council.CouncilProfile.delegates`).

    **Owned:** yes. Only the council's owner and its delegates are heard; another plugin's
    non-empty answer is ignored and reported as a ``conflict`` fault.

    **First result wins:** no. Answers are concatenated in call order; a provider id repeated for
    the same council is a fault.
    """
    raise NotImplementedError


@hookspec
def sen_register_contacts(council: CouncilProfile) -> Sequence[Contact]:
    """Declare a council's published contacts, by role.

    **When it fires:** when a notice or letter needs a contact (for example the person acting for
    the local authority that a decision notice must name), for ``council NAME`` and for the Open
    Referral UK export.

    **Arguments:**

    * ``council``: the council asked about. Return nothing for a council you do not serve.

    **Returns:** a sequence of :class:`~sen_disagreement.council.Contact`, each with a
    :class:`~sen_disagreement.council.ContactRole` (SEN casework team, mediation adviser, SENDIASS,
    the person acting for the local authority, ...), a name and at least one way to reach it.
    Contacts are public, office-level details: never a case or a family.

    **Owned:** yes (see :func:`sen_register_providers`).

    **First result wins:** no. Answers are concatenated in call order.
    """
    raise NotImplementedError


@hookspec
def sen_register_channels(
    council: CouncilProfile,
) -> Sequence[NotificationChannel | MessageChannel]:
    """Declare the channels a council sends notifications through.

    **When it fires:** when a notification for a case of ``council`` is dispatched.

    **Arguments:**

    * ``council``: the council whose notification is being sent.

    **Returns:** a sequence of channels: objects implementing
    :class:`~sen_disagreement.channels.MessageChannel` (a ``name`` slug, the ``media`` it
    delivers and ``send(OutgoingMessage) -> Receipt``), through which the dispatcher
    (:func:`sen_disagreement.dispatch.dispatch`) sends the statutory messages; or, deprecated
    and kept for one release, the older :class:`~sen_disagreement.council.NotificationChannel`
    (``send(Notification)``, used only by ``send_notification``). The order is the choice: a
    message goes through the first channel whose ``media`` include the recipient's medium and
    which accepts the kind (optional ``accepts(kind, medium)``,
    :class:`~sen_disagreement.channels.KindAwareChannel`). The built-in development channel
    ``log`` is always registered last, and the dispatcher uses it only when no plugin registers
    a message channel for the council. A channel receives a message's kind, its one recipient's
    address and the kind's allow-listed fields only, never case content.

    **Owned:** no. A channel plugin (``sen-disagreement-notify``, ``sen-disagreement-email``)
    serves the councils its configuration names.

    **First result wins:** no. Answers are concatenated; a channel name repeated for the same
    council is a fault.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def sen_choose_provider(
    council: CouncilProfile, case: CaseContext, candidates: Sequence[Provider]
) -> Provider | None:
    """Choose the provider for one case.

    **When it fires:** when a case of ``council`` is routed to a provider
    (:func:`sen_disagreement.council.route_provider`), after the candidates have been checked
    against the independence rules.

    **Arguments:**

    * ``council``: the case's council.
    * ``case``: a minimised, read-only view of the case: its id, the process (disagreement
      resolution or mediation), whether health is in issue, and the *bodies* involved (never the
      family's personal details).
    * ``candidates``: the council's providers of the right kind that passed the independence
      check for this case, in declaration order. Never empty.

    **Returns:** one of ``candidates``, or ``None`` to leave the choice to the next plugin. A
    provider that is not among the candidates is refused as a fault naming the plugin and the hook.
    The built-in default (called last) picks the first candidate.

    **Owned:** yes: an answer from a plugin that neither owns the council nor is its delegate is
    ignored (a ``conflict`` fault) and the next plugin is asked.

    **First result wins:** yes: the first valid non-``None`` answer is used and later plugins are
    not asked.
    """
    raise NotImplementedError


@hookspec
def sen_after_case_event(council: CouncilProfile, event: CaseEvent) -> None:
    """Observe something that happened to a case.

    **When it fires:** after the host has recorded a case event (opened, routed, provider
    assigned, parked for manual attention, closed ...) for a case of ``council``.

    **Arguments:**

    * ``council``: the case's council.
    * ``event``: a :class:`~sen_disagreement.council.CaseEvent`: case id, event name, time and the
      ids involved. It holds no case content.

    **Returns:** ``None``. Any other value is reported as a malformed answer (and otherwise
    ignored). An observer cannot change the case: the event is frozen and the case has already
    been saved.

    **First result wins:** no. Every observer is called, even when another one fails.
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def sen_resolve_actor(user_id: str) -> Actor | None:
    """Say who an authenticated user is.

    **When it fires:** whenever the host asks the library to act or read as a user
    (:class:`sen_disagreement.service.CaseService`): the host has authenticated the user (single
    sign-on, a portal login) and passes only their user id.

    **Arguments:**

    * ``user_id``: the id the host authenticated.

    **Returns:** an :class:`~sen_disagreement.actors.Actor` for exactly that user id (role, the
    council or organisation, the parties of cases they act for), or ``None`` for a user this
    plugin does not know. Bind it to the council's own directory; the library trusts nothing
    else about who acts.

    **First result wins:** yes.

    .. versionadded:: 0.2.0
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def sen_council_settings(council: CouncilProfile) -> Settings | None:
    """Supply the settings a council works to: its readings of the points of law the library
    could not confirm (:class:`~sen_disagreement.settings.Settings`; ``sen-disagreement settings``
    lists them).

    **When it fires:** when a case of ``council`` is opened
    (:meth:`sen_disagreement.service.CaseService.open_case`). The answer is pinned to the case and
    stored with it: a case keeps the settings it was opened under, whatever the plugin answers
    later. Also when a case stored before settings were pinned is loaded (it gets the council's
    settings of today).

    **Arguments:**

    * ``council``: the council asked about. Return ``None`` for a council you do not serve.

    **Returns:** a :class:`~sen_disagreement.settings.Settings`, or ``None`` to leave the answer
    to the next plugin (and finally to the host's own settings, by default the documented
    defaults). Anything else is a ``malformed`` fault; a case is not opened while its council's
    settings hook faults.

    **Owned:** yes: only the owner's and its delegates' answers count.

    **First result wins:** yes.

    .. versionadded:: 0.3.0
    """
    raise NotImplementedError
