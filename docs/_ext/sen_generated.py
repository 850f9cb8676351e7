"""Pages generated from the code when the docs are built, so the tables cannot drift.

* ``reference/clocks`` and ``reference/who-may-do-what``: the page text is replaced by what
  ``scripts/gen_clock_docs.py`` and ``scripts/gen_permission_docs.py`` render from
  :data:`sen_disagreement.clocks.CLOCKS` and :data:`sen_disagreement.workflow.steps.PERMISSIONS`
  now (the committed Markdown is the same text for readers of the repository; a test checks
  that it is not stale).
* the index's toctrees list only the pages that exist;
* a ``<!-- sen-generated: rules -->`` line is replaced by the table of
  :func:`sen_disagreement.rules.entries`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RULES_MARKER = "<!-- sen-generated: rules -->"
MODULES_MARKER = "<!-- sen-generated: modules -->"


def _script_render(name: str) -> Callable[[], str]:
    """``render`` of a generator script, loaded by path (scripts/ is not a package)."""
    path = ROOT / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_sen_docs_{name}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - the scripts ship with the repo
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    render: Callable[[], str] = module.render
    return render


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_table() -> str:
    """Every registered rule and clock (law, with citations) and every library check."""
    from sen_disagreement import rules

    law = [e for e in rules.entries() if e.kind != "check"]
    checks = [e for e in rules.entries() if e.kind == "check"]
    lines = [
        f"{len(law)} rules and clocks, {len(checks)} library checks.",
        "",
        "## Rules and clocks",
        "",
        "| id | kind | summary | grade | citations | coded at |",
        "|---|---|---|---|---|---|",
    ]
    for e in sorted(law, key=lambda e: e.rule.rule_id):
        p = e.provenance
        cites = "" if p is None else "; ".join(_cell(c.text) for c in p.citations)
        grade = "" if p is None else p.grade.label
        lines.append(
            f"| `{e.rule.rule_id}` | {e.kind} | {_cell(e.rule.summary)} | {grade} | {cites} "
            f"| `{e.where}` |"
        )
    lines += ["", "## Library checks", "", "| id | summary | coded at |", "|---|---|---|"]
    lines += [
        f"| `{e.rule.rule_id}` | {_cell(e.rule.summary)} | `{e.where}` |"
        for e in sorted(checks, key=lambda e: e.rule.rule_id)
    ]
    return "\n".join(lines) + "\n"


def public_modules() -> list[str]:
    """Every public module of the package: no part of its name starts with ``_``. Not API: the
    command line's modules (documented as commands, in the CLI reference) and a module left
    behind where another moved (its docstring starts "Deprecated")."""
    import importlib
    import pkgutil

    import sen_disagreement

    names = ["sen_disagreement"]
    for info in pkgutil.walk_packages(sen_disagreement.__path__, "sen_disagreement."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or parts[1] == "cli":
            continue
        doc = importlib.import_module(info.name).__doc__ or ""
        if not doc.startswith("Deprecated"):
            names.append(info.name)
    return sorted(names)


def _private_parent(module: str) -> str | None:
    """The public package holding a private module (``a.b._c`` -> ``a.b``), or ``None`` when
    the module is public."""
    parts = module.split(".")
    for i, part in enumerate(parts[1:], 1):
        if part.startswith("_"):
            return ".".join(parts[:i])
    return None


def private_reexports(name: str) -> list[str]:
    """The names in ``name``'s ``__all__`` defined in a private module of that package (e.g.
    ``sen_disagreement.workflow.CaseParty``, defined in ``workflow._case``): documented under
    the package, since no page documents the private module."""
    import importlib
    import inspect

    module = importlib.import_module(name)
    out: list[str] = []
    for member in getattr(module, "__all__", ()):
        value = getattr(module, member, None)
        if (inspect.isclass(value) or inspect.isroutine(value)) and _private_parent(
                getattr(value, "__module__", "")) == name:
            out.append(member)
    return out


def modules_reference() -> str:
    """An autodoc section per public module (its ``__all__``), the top-level namespace aside
    (the API page documents it)."""
    import inspect

    out: list[str] = []
    for name in public_modules():
        if name != "sen_disagreement":
            # Each object once, where it is defined: a package's re-exports are documented in
            # the module that defines them (or, for a private module, in its package).
            out += [f"## `{name}`", "", "```{eval-rst}", f".. automodule:: {name}",
                    "   :members:", "   :ignore-module-all:"]
            for member in private_reexports(name):
                value = getattr(importlib.import_module(name), member)
                directive = "autoclass" if inspect.isclass(value) else "autofunction"
                out += ["", f".. {directive}:: {name}.{member}"]
            out += ["```", ""]
    return "\n".join(out)


GENERATED: dict[str, Callable[[], str]] = {
    "reference/clocks": lambda: _script_render("gen_clock_docs")(),
    "reference/who-may-do-what": lambda: _script_render("gen_permission_docs")(),
}


def _present_pages_only(srcdir: Path, text: str) -> str:
    """Drop toctree entries naming a page that does not exist (yet): pages other contributors
    are writing join the build when they land, and a missing one does not break it."""
    out: list[str] = []
    in_toctree = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("```{toctree}"):
            in_toctree = True
        elif stripped.startswith("```"):
            in_toctree = False
        elif (in_toctree and stripped and not stripped.startswith(":")
              and not (srcdir / f"{stripped}.md").exists()):
            continue
        out.append(line)
    return "".join(out)


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    if docname == "index":
        source[0] = _present_pages_only(Path(app.srcdir), source[0])
    if docname in GENERATED:
        source[0] = GENERATED[docname]()
    if MODULES_MARKER in source[0]:
        source[0] = source[0].replace(MODULES_MARKER, modules_reference())
    if RULES_MARKER in source[0]:
        source[0] = source[0].replace(RULES_MARKER, rules_table())


MAX_VALUE = 120


def _short_values(app: Any, doctree: Any) -> None:
    """A constant's value in its entry, cut to a line: a rule's repr runs to a paragraph of
    provenance, which its docstring and the rules page already give."""
    from sphinx import addnodes

    for annotation in doctree.findall(addnodes.desc_annotation):
        if not annotation.children:
            continue
        value = annotation.children[-1]
        text = value.astext()
        if (annotation.astext().lstrip().startswith("=") and len(text) > MAX_VALUE
                and not value.children):  # a plain text leaf
            annotation.replace(value, type(value)(text[:MAX_VALUE].rstrip() + " …"))


def setup(app: Any) -> dict[str, Any]:
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _short_values)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
