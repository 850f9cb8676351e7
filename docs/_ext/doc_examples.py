"""Every code block of README.md and docs/ runs in the suite (Sybil), as a reader would paste it.

The root ``conftest.py`` hands pytest's file collection to :func:`pytest_collect_file`.

* ``python`` blocks are executed, one namespace per page, in a scratch directory that holds a
  copy of the repository's ``examples/`` and ``docs/how-to/case-inputs/`` (so relative paths in
  the pages work and nothing is written into the checkout);
* ``bash``, ``sh`` and ``console`` blocks are run by bash in that directory with ``.venv/bin``
  first on ``PATH`` (``console``: the ``$`` lines, the rest is output). A command may answer
  0 or 1 (the CLI's "answered" and "answered no"); any other exit code fails, unless the page's
  next command is ``echo $?`` and the output it shows is that code. Exported variables carry over
  to the page's later blocks, as in one terminal;
* ``json`` blocks are parsed;
* a block that cannot run here (it installs packages, needs a PostgreSQL server, edits system
  files) is preceded by ``<!-- not-run: the reason -->``; the reason is checked (a sentence of a
  few words), and the block itself is not executed.

Other fences (``text``, ``toml``, ``ini``, ``cron``, ``sql``, ``mermaid``) are not code the
reader runs as such.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import CodeBlockParser

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
NOT_RUN = "_docs_not_run"
WORKDIR = "_docs_workdir"
ENV = "_docs_env"
MIN_REASON_WORDS = 3


def _workdir(namespace: dict[str, Any]) -> Path:
    """The page's scratch directory, made on first use."""
    if WORKDIR not in namespace:
        new = Path(tempfile.mkdtemp(prefix="sen-docs-"))
        shutil.copytree(ROOT / "examples", new / "examples",
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".venv",
                                                      "node_modules", "test-artifacts"))
        shutil.copytree(ROOT / "docs" / "how-to" / "case-inputs",
                        new / "docs" / "how-to" / "case-inputs")
        (new / ".venv").symlink_to(ROOT / ".venv")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SEN_DISAGREEMENT_")}
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        namespace[WORKDIR] = new
        namespace[ENV] = env
    work: Path = namespace[WORKDIR]
    return work


def _teardown(namespace: dict[str, Any]) -> None:
    work = namespace.get(WORKDIR)
    if work is not None:
        shutil.rmtree(work, ignore_errors=True)


def _skipped(example: Example) -> bool:
    """True (once) when a not-run marker stands before this block."""
    return example.namespace.pop(NOT_RUN, None) is not None


def _not_run(example: Example) -> None:
    reason = str(example.parsed).strip().strip('"')
    assert len(reason.split()) >= MIN_REASON_WORDS, (
        f"a not-run block needs a reason of a few words, got {reason!r}")
    example.namespace[NOT_RUN] = reason


class NotRunParser:
    """``<!-- not-run: reason -->`` before a block: the block is not executed."""

    pattern = re.compile(r"^[ \t]*<!--\s*not-run:(?P<reason>.*?)-->[ \t]*$", re.M)

    def __call__(self, document: Document) -> Iterable[Region]:
        for m in self.pattern.finditer(document.text):
            yield Region(m.start(), m.end(), m["reason"], _not_run)


def _python(example: Example) -> None:
    if _skipped(example):
        return
    work = _workdir(example.namespace)
    before = Path.cwd()
    # Variables the page exported in its shell blocks hold for its Python too (one terminal).
    ours = {k: v for k, v in example.namespace[ENV].items() if k.startswith("SEN_DISAGREEMENT_")}
    saved = {k: os.environ.get(k) for k in ours}
    os.environ.update(ours)
    os.chdir(work)
    try:
        # Pad so that a traceback names the page's own line numbers.
        source = "\n" * example.line + str(example.parsed)
        code = compile(source, example.path, "exec", dont_inherit=True)
        exec(code, example.namespace)  # noqa: S102 - running the page's example is the test
    finally:
        os.chdir(before)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _json(example: Example) -> None:
    if _skipped(example):
        return
    json.loads(str(example.parsed))


def _logical_lines(lines: Iterable[str]) -> list[str]:
    """Join backslash continuations; drop blank lines and whole-line comments."""
    out: list[str] = []
    pending = ""
    for raw in lines:
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(line)
    if pending.strip():
        out.append(pending)
    return out


def _console_commands(source: str) -> list[tuple[str, str | None]]:
    """(command, the first output line shown after it) for each ``$`` line."""
    commands: list[tuple[str, str | None]] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            text = line[2:]
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1] + " " + lines[i].strip()
            after = lines[i + 1] if i + 1 < len(lines) else "$"
            shown = None if after.startswith("$") else after
            commands.append((text, shown))
        i += 1
    return commands


def _run_shell(example: Example, commands: list[tuple[str, str | None]]) -> None:
    """Run the commands in one bash, recording each exit code, then judge them."""
    work = _workdir(example.namespace)
    env: dict[str, str] = example.namespace[ENV]
    codes = work / ".exit-codes"
    exported = work / ".env-after"
    codes.write_text("")
    script = []
    for command, _ in commands:
        # Keep $? for a following `echo $?`, as a terminal would.
        script.append(f"{command}\n__rc=$?; echo $__rc >> {codes}; (exit $__rc)")
    script.append(f"env -0 > {exported}")
    result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    got = [int(x) for x in codes.read_text().split()]
    assert len(got) == len(commands), (result.stdout, result.stderr)
    for n, ((command, _), rc) in enumerate(zip(commands, got, strict=True)):
        if rc in (0, 1):
            continue
        following = commands[n + 1] if n + 1 < len(commands) else None
        shown = following[1] if following and following[0].strip() == "echo $?" else None
        assert shown is not None and shown.strip() == str(rc), (
            f"{command!r} exited {rc}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    if exported.exists():
        pairs = (item.split("=", 1) for item in exported.read_text().split("\0") if "=" in item)
        example.namespace[ENV] = dict(pairs)


def _bash(example: Example) -> None:
    if _skipped(example):
        return
    _run_shell(example, [(line, None) for line in _logical_lines(str(example.parsed).splitlines())])


def _console(example: Example) -> None:
    if _skipped(example):
        return
    _run_shell(example, _console_commands(str(example.parsed)))


SYBIL = Sybil(
    parsers=[
        NotRunParser(),
        CodeBlockParser(language="python", evaluator=_python),
        CodeBlockParser(language="json", evaluator=_json),
        CodeBlockParser(language="bash", evaluator=_bash),
        CodeBlockParser(language="sh", evaluator=_bash),
        CodeBlockParser(language="console", evaluator=_console),
    ],
    patterns=["*.md"],
    path=str(ROOT),
    teardown=_teardown,
)
_collect: Callable[[Path, Any], Any] = SYBIL.pytest()


def pytest_collect_file(file_path: Path, parent: Any) -> Any:
    """README.md at the root and every page under docs/ (not the plugins' own READMEs)."""
    built = ROOT / "docs" / "_build"
    if file_path == ROOT / "README.md" or (
            ROOT / "docs" in file_path.parents and built not in file_path.parents):
        return _collect(file_path, parent)
    return None


