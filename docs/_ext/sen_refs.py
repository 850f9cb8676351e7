"""Cross-references in the docstrings resolved the way a reader of the code reads them, so the
build can be nitpicky (every reference must land).

* A short name (``InvalidInputError``, ``Actor``) means the object the referring module binds
  to that name, by import (``if TYPE_CHECKING:`` imports too): with two documented classes
  named ``Actor`` (:class:`sen_disagreement.actors.Actor`, the people acting, and
  :class:`sen_disagreement.clocks.model.Actor`, who must act on a clock), each module's
  ``Actor`` links to the one it imports. Failing that, to the only documented object of that
  name, or the one object documented under several names (a re-export).
* A name reached through a private module (``sen_disagreement.workflow._case.CaseParty``, as
  type hints spell it) links to its public re-export (``sen_disagreement.workflow.CaseParty``).
* ``Class.method`` for an inherited method links to the class that defines it.
* A name bound to a private object stays plain text, as a private spelling does.

Anything else unresolved is reported by Sphinx as usual; ``nitpick_ignore_regex`` in conf.py
lists what is deliberately left unlinked (the standard library, third-party types, type
variables, private names).
"""

from __future__ import annotations

import ast
import importlib
import inspect
from functools import cache
from typing import Any

from sphinx.domains.python import PythonDomain as _PythonDomain
from sphinx.util.nodes import make_refnode

PACKAGE = "sen_disagreement"
_MISSING = object()

# The roles a reference may fall back to, as the Python domain does: a class may be a type alias
# (documented as data), an attribute may be a property (documented as a method), and back.
_FALLBACKS = {"class": ("class", "data", "attr"), "attr": ("attr", "meth", "_prop"),
              "meth": ("meth", "_prop", "attr"), "obj": ("obj",)}


@cache
def _lookup(fullname: str) -> object:
    """The Python object a dotted name names (the longest importable module prefix, then
    attributes), or ``_MISSING``."""
    parts = fullname.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            value = getattr(value, attr, _MISSING)
            if value is _MISSING:
                return _MISSING
        return value
    return _MISSING


@cache
def _imports(modname: str) -> dict[str, str]:
    """What each name imported anywhere in ``modname``'s source (``if TYPE_CHECKING:`` blocks
    too) stands for: local name -> dotted name."""
    module = _lookup(modname)
    try:
        tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    except (OSError, TypeError, SyntaxError):
        return {}
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
        elif isinstance(node, ast.Import):
            names.update({a.asname: a.name for a in node.names if a.asname})
    return names


def _public_spelling(target: str) -> str | None:
    """``a.b._c.Name`` -> ``a.b.Name``: the same object through the package that re-exports it
    (checked by identity), or ``None``."""
    parts = target.split(".")
    if parts[0] != PACKAGE:
        return None
    private = [i for i, p in enumerate(parts[1:-1], 1) if p.startswith("_")]
    if len(private) != 1:
        return None
    candidate = ".".join(parts[: private[0]] + parts[private[0] + 1:])
    value = _lookup(target)
    return candidate if value is not _MISSING and _lookup(candidate) is value else None


def _is_private(value: object) -> bool:
    """Defined in a private module of the package, or under a private name."""
    module = getattr(value, "__module__", None) or ""
    name = getattr(value, "__qualname__", None) or ""
    return module.startswith(f"{PACKAGE}.") and (
        any(p.startswith("_") for p in module.split(".")[1:])
        or any(p.startswith("_") for p in name.split(".")))


def _one_object(matches: list[tuple[str, Any]]) -> bool:
    """Every match is the same Python object (one that can be found: two entries that cannot
    be looked up are not known to be the same)."""
    values = [_lookup(name) for name, _ in matches]
    return all(v is not _MISSING for v in values) and len({id(v) for v in values}) == 1


def _find(env: Any, modname: str | None, clsname: str | None, target: str,
          reftype: str) -> list[tuple[str, Any]]:
    domain = env.get_domain("py")
    for role in _FALLBACKS.get(reftype, (reftype,)):
        matches: list[tuple[str, Any]] = domain.find_obj(env, modname, clsname, target, role, 1)
        if matches:
            return matches
    return []


def _rank(fullname: str) -> tuple[int, int, str]:
    """Prefer the entry where the object is defined (its module's page), then the shortest
    public spelling, over other re-exports."""
    value = _lookup(fullname)
    defined = f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', '')}"
    return (0 if defined == fullname else 1, fullname.count("."), fullname)


def _bound(env: Any, modname: str | None, target: str) -> object:
    """The object ``target`` names: as written (a full dotted name), as bound in the referring
    module, or (``Class.attr``) an attribute of the documented class its first part names."""
    value = _lookup(target) if target.startswith(f"{PACKAGE}.") else _MISSING
    if value is _MISSING and modname:
        value = _lookup(f"{modname}.{target}")
    if value is _MISSING and modname:
        # Imported for type checking only (``if TYPE_CHECKING:``): bound in the source.
        head, _, rest = target.partition(".")
        imported = _imports(modname).get(head)
        if imported is not None:
            value = _lookup(f"{imported}.{rest}" if rest else imported)
    if value is _MISSING and "." in target:
        head, rest = target.split(".", 1)
        owners = {_lookup(name) for name, _ in _find(env, modname, None, head, "class")}
        if len(owners) == 1:
            value = getattr(owners.pop(), rest, _MISSING)
    return value


def _same_object(env: Any, value: object, target: str,
                 reftype: str) -> list[tuple[str, Any]]:
    """The documented entries that are ``value`` itself under the same last name (a re-export,
    an inherited method documented on the class that defines it)."""
    domain = env.get_domain("py")
    roles = _FALLBACKS.get(reftype, (reftype,))
    objtypes = {t for role in roles for t in (domain.objtypes_for_role(role) or ())}
    last = "." + target.rsplit(".", 1)[-1]
    return [(name, entry) for name, entry in domain.objects.items()
            if name.endswith(last) and entry.objtype in objtypes and _lookup(name) is value]


def _choose(env: Any, matches: list[tuple[str, Any]], modname: str | None,
            target: str) -> list[tuple[str, Any]]:
    """Of several matches, the ones that are the object ``target`` is bound to in the referring
    module, the defining entry first; all of them when that says nothing."""
    value = _bound(env, modname, target)
    same = [m for m in matches if value is not _MISSING and _lookup(m[0]) is value]
    if not same and _one_object(matches):
        same = matches  # one object documented under several names
    return sorted(same, key=lambda m: _rank(m[0])) if same else matches


class PythonDomain(_PythonDomain):
    """The Python domain, choosing among several targets the one the name means where it is
    written (``Actor`` in a module importing ``sen_disagreement.actors.Actor`` is that class)."""

    def find_obj(self, env: Any, modname: str, classname: str, name: str, type: str | None,
                 searchmode: int = 0) -> list[tuple[str, Any]]:
        matches = super().find_obj(env, modname, classname, name, type, searchmode)
        if len(matches) > 1:
            chosen = _choose(env, matches, modname, name.removesuffix("()"))
            if _one_object(chosen):
                matches = chosen[:1]
        return matches


def _missing_reference(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py" or node.get("reftype") == "mod":
        return None
    target = node["reftarget"].removeprefix("~").removesuffix("()")
    reftype = node["reftype"]
    modname, clsname = node.get("py:module"), node.get("py:class")
    public = _public_spelling(target)
    if public is not None:
        target = public
    # Searched as a ``.name`` reference is: the referring module and class first, then any
    # documented object whose dotted name ends with the target (``Store.verify`` too).
    matches = _find(env, modname, clsname, target, reftype)
    if not matches:
        # Documented under another name: a re-export, or the class that defines an inherited
        # method (``MediationCase.tick`` is ``SweepStage.tick``).
        value = _bound(env, modname, target)
        if value is not _MISSING:
            matches = _same_object(env, value, target, reftype)
            if not matches and _is_private(value):
                # A private object (``reports._read.Unreadable`` in a signature): not
                # documented by design, so the name stays plain text, as a private spelling does.
                return contnode
    if len(matches) > 1:
        matches = _choose(env, matches, modname, target)
        if not _one_object(matches):
            return None  # different objects: ambiguous, and Sphinx says so
    if not matches:
        return None
    name, entry = matches[0]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode,
                        name)


def setup(app: Any) -> dict[str, Any]:
    app.add_domain(PythonDomain, override=True)
    app.connect("missing-reference", _missing_reference)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
