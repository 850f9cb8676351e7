"""Every error the library raises derives from :class:`SenDisagreementError`.

Errors carry structured fields (the rule id, its citation, the field or JSON path at fault) so a
caller can react without parsing text. Messages never contain the *values* of confidential or
without-prejudice material: they name fields and rules only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sen_disagreement.provenance import Check, Rule

__all__ = [
    "AccessDeniedError",
    "ConsentRequiredError",
    "DocumentError",
    "IndependenceError",
    "InvalidInputError",
    "InvalidTransitionError",
    "LegacyBodyError",
    "LegalHoldError",
    "NoProviderError",
    "NotFoundError",
    "PluginError",
    "RuleViolationError",
    "SenDisagreementError",
    "StaleWriteError",
    "StoreError",
    "StoredDataError",
    "StoredDocumentError",
    "UnsafeStoreSettingsError",
    "WithoutPrejudiceError",
    "raised_rule_ids",
]


_RAISED: set[str] = set()
"""Every distinct rule id an error has been built with in this process (ids are written in the
library's code, so the set stays small); the test suite's census checks each is registered."""


def raised_rule_ids() -> frozenset[str]:
    """The rule ids errors have carried so far in this process."""
    return frozenset(_RAISED)


def _rule(rule: str | Rule | Check, citation: str | None) -> tuple[str, str | None]:
    """An error may be given the rule itself (preferred) or its id."""
    if isinstance(rule, str):
        _RAISED.add(rule)
        return rule, citation
    _RAISED.add(rule.rule_id)
    from sen_disagreement.provenance import Rule

    if citation is None and isinstance(rule, Rule):
        citation = rule.cite()
    return rule.rule_id, citation


def _lookup(rule_id: str) -> Rule | Check | None:
    from sen_disagreement.provenance import registered

    return registered(rule_id)


class SenDisagreementError(Exception):
    """Base class of every error raised by sen_disagreement."""


class InvalidInputError(SenDisagreementError, ValueError):
    """A value breaks a rule: ``field`` is the attribute or JSON path, ``rule_id`` the rule."""

    def __init__(
        self,
        message: str,
        *,
        field: str,
        rule_id: str | Rule | Check,
        citation: str | None = None,
    ) -> None:
        rule_id, citation = _rule(rule_id, citation)
        self.field = field
        self.rule_id = rule_id
        self.citation = citation
        self.message = message
        text = f"{field}: {message} (rule {rule_id}"
        text += f"; {citation})" if citation else ")"
        super().__init__(text)

    def at(self, path: str) -> InvalidInputError:
        """The same error re-rooted under a JSON path prefix (``$.parties[1]`` + ``.kind``)."""
        field = self.field if self.field.startswith("$") else f"{path}.{self.field}"
        if self.field.startswith("$") and path != "$":
            field = path + self.field[1:]
        return type(self)(self.message, field=field, rule_id=self.rule_id, citation=self.citation)

    @property
    def rule(self) -> Rule | Check | None:
        """The registered rule or check this error enforces."""
        return _lookup(self.rule_id)


class DocumentError(SenDisagreementError, ValueError):
    """A JSON document could not be read; ``problems`` lists every fault with its path."""

    def __init__(self, problems: list[InvalidInputError]) -> None:
        self.problems = problems
        lines = [str(p) for p in problems]
        super().__init__("invalid document:\n  " + "\n  ".join(lines))

    @property
    def fields(self) -> list[str]:
        return [p.field for p in self.problems]


class LegacyBodyError(InvalidInputError):
    """A body that had ceased to exist on the date in question (e.g. a CCG after 1 July 2022)."""


class RuleViolationError(SenDisagreementError):
    """An action breaks one of the four principles or a process rule."""

    def __init__(self, message: str, *, rule_id: str | Rule | Check,
                 citation: str | None = None) -> None:
        rule_id, cited = _rule(rule_id, citation)
        self.rule_id = rule_id
        self.citation = cited or ""
        where = f"; {self.citation}" if self.citation else ""
        super().__init__(f"{message} (rule {rule_id}{where})")

    @property
    def rule(self) -> Rule | Check | None:
        """The registered rule or check this error enforces."""
        return _lookup(self.rule_id)


class ConsentRequiredError(RuleViolationError):
    """Voluntary principle: something would proceed without every party's live agreement."""


class IndependenceError(RuleViolationError):
    """Independence principle: the appointee is employed by a body the law excludes."""


class WithoutPrejudiceError(RuleViolationError):
    """Without-prejudice or confidential material was about to reach something bound for the
    Tribunal or another party. The message names the item id, never its content."""


class AccessDeniedError(RuleViolationError):
    """A reader may not see an item of this disclosure class."""


class InvalidTransitionError(RuleViolationError):
    """A workflow event is not allowed in the case's current state."""


class StaleWriteError(SenDisagreementError):
    """Optimistic concurrency: the case changed since it was loaded; nothing was written."""

    def __init__(self, case_id: str, expected: int, found: int | None) -> None:
        self.case_id = case_id
        self.expected = expected
        self.found = found
        super().__init__(
            f"case {case_id}: stale write (loaded version {expected}, store has {found})"
        )


class NotFoundError(SenDisagreementError, LookupError):
    """A case, council or record is not known."""


class PluginError(SenDisagreementError):
    """A plugin raised, returned something invalid or timed out. Names the plugin and the hook."""

    def __init__(self, message: str, *, plugin: str, hook: str) -> None:
        self.plugin = plugin
        self.hook = hook
        super().__init__(f"plugin {plugin!r}, hook {hook}: {message}")


class NoProviderError(SenDisagreementError, LookupError):
    """No provider is configured for a council."""


class StoreError(SenDisagreementError):
    """The case store cannot be opened or used as configured (bad URL, schema newer than this
    library, a missing optional driver). Messages never contain credentials or case content."""


class UnsafeStoreSettingsError(StoreError):
    """The database is configured so that acknowledged writes could be lost (e.g. SQLite not in
    WAL + synchronous=FULL, PostgreSQL with ``fsync=off`` or ``synchronous_commit=off``)."""

    def __init__(self, setting: str, found: str, required: str) -> None:
        self.setting = setting
        self.found = found
        self.required = required
        super().__init__(f"unsafe store setting {setting}={found!r} (required: {required})")


class LegalHoldError(SenDisagreementError):
    """A case under legal hold cannot be purged; nothing was erased."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        super().__init__(f"case {case_id}: under legal hold, not purged")


class StoredDataError(StoreError):
    """A stored row holds what this library never writes: a wrong type, a value that does not
    decode, a case document that is not a valid case, columns that are not what the case's
    document says (a row changed outside the store, or a corrupt file). Nothing was written by
    the call that met it.

    ``case_id`` names the case the row belongs to (``None`` when the row's own case id is what is
    broken, or the row belongs to no case), ``field`` the table and column (``"cases.created_at"``,
    ``"deadlines.due"``, ``"case_history.deadlines"``, ``"document.kind"``...) and ``row`` the
    row's integer key where it has one (audit ``seq``, outbox ``id``, cases ``id``). The message
    never contains the stored value: it may be without-prejudice text, or planted to reach logs.
    """

    def __init__(
        self,
        field: str,
        *,
        case_id: str | None = None,
        row: int | None = None,
        problem: str = "is not a value this library writes",
    ) -> None:
        self.field = field
        self.case_id = case_id
        self.row = row
        self.problem = problem
        text = f"stored {field}" + ("" if row is None else f" (row {row})") + f" {problem}"
        if case_id is not None:
            text = f"case {case_id}: {text}"
        # Exception's own init: in StoredDocumentError the next class is InvalidInputError.
        Exception.__init__(self, text)

    def __reduce__(self) -> tuple[object, ...]:
        return (_stored_data_error, (self.field, self.case_id, self.row, self.problem))


def _stored_data_error(
    field: str, case_id: str | None, row: int | None, problem: str
) -> StoredDataError:
    return StoredDataError(field, case_id=case_id, row=row, problem=problem)


class StoredDocumentError(StoredDataError, InvalidInputError):
    """The case document of a stored record is not a valid case (it does not parse, is of
    another document version or kind, or breaks a rule of the case it claims to be), as raised
    by :func:`sen_disagreement.workflow.records.from_record`. A :class:`StoredDataError` naming
    the case and the field (``document``, ``document.kind``...), and, as before this class
    existed, an :class:`InvalidInputError` with the ``rule_id`` of the check that failed."""

    def __init__(self, field: str, *, case_id: str | None, rule_id: str, problem: str) -> None:
        StoredDataError.__init__(self, field, case_id=case_id, problem=problem)
        _RAISED.add(rule_id)
        self.rule_id = rule_id
        self.citation = None
        self.message = problem

    def at(self, path: str) -> StoredDocumentError:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        return (_stored_document_error, (self.field, self.case_id, self.rule_id, self.problem))


def _stored_document_error(
    field: str, case_id: str | None, rule_id: str, problem: str
) -> StoredDocumentError:
    return StoredDocumentError(field, case_id=case_id, rule_id=rule_id, problem=problem)
