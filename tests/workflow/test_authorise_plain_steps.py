"""``authorise`` returns early for the steps none of its later checks is for (``_PLAIN_STEPS``).
A check added later for another step class must take that class out of the table: this test
reads the checks ``authorise`` makes after its early return and fails if any names a class the
table still holds."""

from __future__ import annotations

import ast
import inspect
import textwrap

from sen_disagreement.workflow import steps


def _classes_checked_after_the_early_return() -> set[type]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(steps.authorise)))
    body = tree.body[0]
    assert isinstance(body, ast.FunctionDef)
    seen_early_return = False
    checked: set[type] = set()
    for statement in body.body:
        text = ast.unparse(statement)
        if "_PLAIN_STEPS" in text:
            seen_early_return = True
            continue
        if not seen_early_return:
            continue
        for node in ast.walk(statement):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "isinstance" and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == "step"):
                given = node.args[1]
                names = given.elts if isinstance(given, ast.Tuple) else [given]
                for name in names:
                    assert isinstance(name, ast.Name), ast.unparse(given)
                    named = getattr(steps, name.id)
                    checked.update(named if isinstance(named, tuple) else (named,))
    assert seen_early_return, "authorise no longer returns early through _PLAIN_STEPS"
    return checked


def test_who_authorise_returns_early_only_for_steps_no_later_check_is_for() -> None:
    checked = _classes_checked_after_the_early_return()
    assert checked  # the consent, contact, arranging and certificate checks are found
    plain = set(steps._PLAIN_STEPS.values())
    assert not checked & plain, sorted(c.__name__ for c in checked & plain)
    # Every step class is either plain or checked further: none is forgotten either way.
    assert plain | checked == set(steps._STEP_NAMES)
