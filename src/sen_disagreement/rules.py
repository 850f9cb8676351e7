"""The rule registry: every statutory rule, clock and library check, with where it is coded and
tested, found by its id or by a citation however it is spelled.

>>> from sen_disagreement import rules
>>> [r.rule.rule_id for r in rules.find(cite="reg 34(1)")][:1]
['certificate_after_declining']

Three kinds of entry:

* ``rule``: a :class:`~sen_disagreement.provenance.Rule` of law, defined beside the code that
  applies it;
* ``clock``: a statutory timescale of :mod:`sen_disagreement.clocks` (its rule id is the clock
  id, as in ``rule_id="final_plan"`` of an error about it);
* ``check``: one of the library's own checks (:mod:`sen_disagreement.checks`), with no citation.

A test is "named after" a rule when its function name contains the rule id with every run of
characters other than letters and digits written ``_`` (``s57.independence.local_authority`` ->
``test_s57_independence_local_authority_...``). The test suite checks that every registered rule
has one.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from attrs import frozen

import sen_disagreement
from sen_disagreement import citations
from sen_disagreement.errors import InvalidInputError
from sen_disagreement.provenance import Check, Provenance, Rule, registry

__all__ = [
    "MAX_QUERY",
    "Entry",
    "NamedTest",
    "citation_query",
    "default_tests_dir",
    "entries",
    "find",
    "get",
    "id_provision",
    "name_key",
    "named_tests",
]

MAX_QUERY = 200
"""Longest citation query read."""

_SKIP = (
    "sen_disagreement.cli",
    "sen_disagreement.testing",
    "sen_disagreement.plugins.testing",
    "sen_disagreement.__main__",
)


@frozen
class Entry:
    """One registered rule, clock or check, with where it lives."""

    rule: Rule | Check
    kind: str
    """``rule``, ``clock`` or ``check``."""
    module: str
    line: int | None
    clocks: tuple[str, ...] = ()
    """For a rule: the clocks resting on the same provisions."""

    @property
    def provenance(self) -> Provenance | None:
        return self.rule.provenance if isinstance(self.rule, Rule) else None

    @property
    def provisions(self) -> tuple[tuple[str, str], ...]:
        """(instrument key, canonical provision) pairs of every citation, and the provision
        the rule's id names (``s57.voluntary`` belongs to CFA s.57 even where the words were
        read in the Explanatory Notes or the Code of Practice)."""
        if self.provenance is None:
            return ()
        own = id_provision(self.rule.rule_id)
        out: list[tuple[str, str]] = [] if own is None else [own]
        for c in self.provenance.citations:
            parsed = c.parsed
            key = parsed.instrument.key if parsed.instrument else ""
            out.extend((key, p) for p in parsed.provisions)
        return tuple(dict.fromkeys(out))

    @property
    def path(self) -> str:
        """The source file, relative to the installed package's parent."""
        module = importlib.import_module(self.module)
        file = Path(inspect.getfile(module))
        root = Path(sen_disagreement.__file__).resolve().parent.parent
        try:
            return str(file.resolve().relative_to(root))
        except ValueError:
            return str(file)

    @property
    def where(self) -> str:
        return self.path + ("" if self.line is None else f":{self.line}")


_ID_PROVISION = re.compile(r"^(s|reg|r)(\d+[a-z]?)((?:_\d+)*)\.")
_ID_INSTRUMENT = {"s": ("cfa2014", "s."), "reg": ("send_regs_2014", "reg "),
                  "r": ("hesc_rules_2008", "r.")}


def id_provision(rule_id: str) -> tuple[str, str] | None:
    """The provision a rule id names, by the house spelling: ``s57.`` is CFA 2014 s.57,
    ``reg42_5.`` SEND Regs 2014 reg 42(5), ``r12_3.`` HESC Rules r.12(3)."""
    m = _ID_PROVISION.match(rule_id)
    if m is None:
        return None
    key, marker = _ID_INSTRUMENT[m[1]]
    subs = "".join(f"({n})" for n in m[3].split("_") if n)
    return key, f"{marker}{m[2].upper()}{subs}"


def name_key(rule_id: str) -> str:
    """The fragment a test's name must contain to be named after ``rule_id``."""
    return re.sub(r"[^a-z0-9]+", "_", rule_id.lower()).strip("_")


def _import_everything() -> None:
    for info in pkgutil.walk_packages(sen_disagreement.__path__, "sen_disagreement."):
        if info.name.startswith(_SKIP):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional driver (psycopg) that is not installed
            continue


@cache
def _table_lines() -> tuple[str, ...]:
    from sen_disagreement.clocks import table

    return tuple(inspect.getsource(table).splitlines())


def _clock_line(clock_id: str) -> int | None:
    needle = f'"{clock_id}"'
    return next((n for n, text in enumerate(_table_lines(), start=1) if needle in text), None)


@cache
def _clock_rules() -> tuple[Rule, ...]:
    from sen_disagreement.clocks import CLOCKS
    from sen_disagreement.clocks.table import FIXED_DATE_DEADLINES

    described = [(c.id, c.description, c.provenance) for c in CLOCKS.values()]
    described += [(d.id, d.description, d.provenance) for d in FIXED_DATE_DEADLINES.values()]
    return tuple(Rule(clock_id, text, provenance,
                      location=f"sen_disagreement.clocks.table:{_clock_line(clock_id) or 0}")
                 for clock_id, text, provenance in described)


def _split(location: str | None) -> tuple[str, int | None]:
    if not location:
        return ("sen_disagreement", None)
    module, _, line = location.rpartition(":")
    return (module, int(line) if line.isdigit() and int(line) else None)


def _entry(rule: Rule | Check, clock_ids: frozenset[str]) -> Entry:
    module, line = _split(rule.location)
    kind = "check" if isinstance(rule, Check) else "clock" if rule.rule_id in clock_ids else "rule"
    return Entry(rule, kind, module, line)


@cache
def entries() -> tuple[Entry, ...]:
    """Every rule, clock and check the library defines, sorted by id (imports every module)."""
    _import_everything()
    clock_ids = frozenset(r.rule_id for r in _clock_rules())
    own = [r for r in registry().values()
           if (r.location or "").startswith("sen_disagreement") and r.location is not None]
    base = [_entry(r, clock_ids) for r in own]
    clocks = [e for e in base if e.kind == "clock"]
    out: list[Entry] = []
    for e in base:
        if e.kind == "rule":
            mine = set(e.provisions)
            near = tuple(sorted(c.rule.rule_id for c in clocks if _overlap(mine, c.provisions)))
            e = Entry(e.rule, e.kind, e.module, e.line, near)
        out.append(e)
    return tuple(sorted(out, key=lambda e: e.rule.rule_id))


def _overlap(mine: Iterable[tuple[str, str]], theirs: Iterable[tuple[str, str]]) -> bool:
    theirs = tuple(theirs)
    return any(k == j and citations.covers(p, q) for k, p in mine for j, q in theirs)


def get(rule_id: str) -> Entry:
    """The entry registered under ``rule_id`` (``KeyError`` if none)."""
    for e in entries():
        if e.rule.rule_id == rule_id:
            return e
    raise KeyError(rule_id)


def find(*, cite: str | None = None, rule_id: str | None = None,
         kinds: Iterable[str] = ("rule", "clock")) -> list[Entry]:
    """Entries whose citations cover ``cite`` (``"reg 34(1)"``, ``"CFA s.57"``,
    ``"HESC Rules r.12(3)"``: the instrument may be left out) and whose id starts with
    ``rule_id``. A provision matches its parts and its whole: ``s.57`` finds ``s.57(4)``."""
    wanted = set(kinds)
    found = [e for e in entries() if e.kind in wanted]
    if rule_id:
        found = [e for e in found if e.rule.rule_id.startswith(rule_id)]
    if cite:
        query = citation_query(cite)
        found = [e for e in found if _overlap(e.provisions, query) or _overlap_any(e, query)]
    return found


def citation_query(text: str) -> tuple[tuple[str, str], ...]:
    """The (instrument key or ``*``, provision) pairs a citation query names. A query longer
    than :data:`MAX_QUERY` characters is refused (no citation is that long)."""
    if len(text) > MAX_QUERY:
        raise InvalidInputError(f"is longer than {MAX_QUERY} characters", field="--cite",
                                rule_id="input.citation")
    parsed = citations.parse(text.strip())
    if parsed.instrument is not None:
        return tuple((parsed.instrument.key, p) for p in parsed.provisions)
    # No instrument named: read the provision under each instrument in turn.
    bare = citations.parse(f"CFA {text.strip()}").provisions or citations.parse(
        f"SEND Regs {text.strip()}").provisions
    return tuple(("*", p) for p in bare)


def _overlap_any(entry: Entry, query: tuple[tuple[str, str], ...]) -> bool:
    return any(k == "*" and citations.covers(p, q) for _, p in entry.provisions
               for k, q in query)


@frozen
class NamedTest:
    """A test function named after a rule (found by :func:`named_tests`): where it is, as
    ``path:line::name``."""

    path: str
    line: int
    name: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}::{self.name}"


def default_tests_dir() -> Path | None:
    """The project's ``tests/`` beside ``src/`` in a source checkout (``None`` when installed
    from a wheel)."""
    candidate = Path(sen_disagreement.__file__).resolve().parents[2] / "tests"
    return candidate if candidate.is_dir() else None


@cache
def _test_functions(tests_dir: Path) -> tuple[NamedTest, ...]:
    out: list[NamedTest] = []
    roots = [tests_dir]
    plugins = tests_dir.parent / "plugins"
    if plugins.is_dir():
        roots.append(plugins)
    for root in roots:
        for file in sorted(root.rglob("test_*.py")):
            try:
                tree = ast.parse(file.read_text(encoding="utf-8"))
            except (SyntaxError, UnicodeDecodeError, OSError):
                continue
            rel = str(file.relative_to(tests_dir.parent))
            out.extend(NamedTest(rel, node.lineno, node.name) for node in ast.walk(tree)
                       if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                       and node.name.startswith("test_"))
    return tuple(out)


def named_tests(rule_id: str, tests_dir: Path | None = None) -> list[NamedTest]:
    """Tests named after ``rule_id`` (see the module docstring)."""
    root = tests_dir or default_tests_dir()
    if root is None:
        return []
    key = name_key(rule_id)
    return [t for t in _test_functions(root.resolve()) if key in t.name]
