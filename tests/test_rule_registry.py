"""Meta-tests of the rule registry: every rule raised is registered, every rule has a test named
after it, every citation parses, and a rule whose id names a provision cites it."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

from sen_disagreement import citations, rules
from sen_disagreement.provenance import Check, Grade, Rule, registered

SRC = Path(rules.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def _raised_rule_ids() -> list[tuple[str, str]]:
    """(where, rule id) for every ``rule_id=`` literal, and every name or attribute that can
    be evaluated in its module, passed to an error or a machine anywhere in the library."""
    out: list[tuple[str, str]] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = importlib.import_module(_module_name(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.keyword) and node.arg == "rule_id"):
                continue
            where = f"{path.relative_to(SRC.parent)}:{node.value.lineno}"
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.append((where, value.value))
            elif isinstance(value, ast.Name | ast.Attribute | ast.Subscript):
                try:
                    evaluated = eval(ast.unparse(value), vars(module))
                except (NameError, AttributeError, KeyError, TypeError):
                    continue  # a local variable: covered by the census of raised errors
                if isinstance(evaluated, Rule | Check):
                    evaluated = evaluated.rule_id
                if isinstance(evaluated, str):
                    out.append((where, evaluated))
    return out


def test_every_rule_id_raised_in_the_library_is_registered() -> None:
    rules.entries()  # imports every module, so every rule has registered itself
    unknown = [(w, r) for w, r in _raised_rule_ids() if registered(r) is None]
    assert not unknown, f"rule ids raised but not registered: {unknown}"
    assert len(_raised_rule_ids()) > 150


def test_no_rule_id_is_built_from_a_format_string_outside_a_registered_family() -> None:
    # An f-string id cannot be checked statically; each family's members are registered in
    # sen_disagreement.checks and the census of raised errors (testing.py) checks the rest.
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "rule_id" and isinstance(
                node.value, ast.JoinedStr
            ):
                prefix = node.value.values[0]
                assert isinstance(prefix, ast.Constant), ast.unparse(node.value)
                family = str(prefix.value)
                members = [e for e in rules.entries() if e.rule.rule_id.startswith(family)]
                assert members, f"{path}: no registered rule id starts with {family!r}"


def test_every_rule_and_clock_has_a_test_named_after_it() -> None:
    missing = [e.rule.rule_id for e in rules.entries()
               if e.kind != "check" and not rules.named_tests(e.rule.rule_id)]
    assert not missing, f"{len(missing)} rules have no test named after them: {missing}"


def test_every_citation_parses() -> None:
    marker = re.compile(r"(?:\bss?\.|\bregs? |\br\.|\bSch )\d")
    problems = []
    for e in rules.entries():
        if e.provenance is None:
            continue
        for c in e.provenance.citations:
            parsed = c.parsed
            if c.grade is Grade.PRIMARY and parsed.instrument is None:
                problems.append((e.rule.rule_id, c.text, "primary citation names no instrument"))
            head = re.split(r"(?<!,)\s\(|: ", c.text, maxsplit=1)[0]
            if parsed.instrument is not None and marker.search(head) and not parsed.provisions:
                problems.append((e.rule.rule_id, c.text, "provision not read"))
    assert not problems, problems


def test_rule_ids_name_provisions_in_one_spelling() -> None:
    # s57.x, reg42_5.x, r12_3.x: never reg_42_3, reg.42 or s_57.
    loose = re.compile(r"^(?:s|ss|reg|regs|r)[._]\d|^(?:s|reg|r)\d+[a-z]?_[a-z]")
    assert not [e.rule.rule_id for e in rules.entries() if loose.match(e.rule.rule_id)]
    assert rules.id_provision("reg42_5.other_periods_in_writing") == (
        "send_regs_2014", "reg 42(5)")
    assert rules.id_provision("s57.voluntary") == ("cfa2014", "s.57")
    assert rules.id_provision("calendar.week") is None


def test_a_rule_whose_id_names_a_regulation_cites_it() -> None:
    # Regulations were read (or their numbers flagged): a reg rule cites its regulation, or
    # says in an UNCONFIRMED citation which number is believed.
    wrong = []
    for e in rules.entries():
        own = rules.id_provision(e.rule.rule_id)
        if own is None or e.provenance is None or not own[1].startswith("reg "):
            continue
        cited = [p for c in e.provenance.citations for p in c.provisions]
        believed = any(own[1].split("(")[0].removeprefix("reg ") in c.text
                       for c in e.provenance.citations if c.grade is Grade.UNCONFIRMED)
        if not believed and not any(citations.covers(p, own[1]) for p in cited):
            wrong.append(e.rule.rule_id)
    assert not wrong


@pytest.mark.parametrize(("query", "expected"), [
    ("reg 34(1)", "certificate_after_declining"),
    ("SEND Regs 2014 reg 34", "certificate_after_declining"),
    ("HESC Rules r.20", "tribunal_appeal_from_decision"),
    ("r.12(3)(a)", "calendar.tribunal_roll_forward"),
    ("CFA s.57(4)", "s57.independence.local_authority"),
    ("s.57", "s57.voluntary"),
])
def test_find_by_citation_however_spelled(query: str, expected: str) -> None:
    assert expected in [e.rule.rule_id for e in rules.find(cite=query)]


def test_find_by_citation_excludes_other_instruments() -> None:
    found = {e.rule.rule_id for e in rules.find(cite="Local Government Act 1974 s.26B")}
    assert found == {"lgsco_complaint"}


def test_every_rule_records_where_it_is_defined() -> None:
    for e in rules.entries():
        path = SRC.parent / e.path
        assert path.is_file(), e
        if e.line is not None:
            text = path.read_text(encoding="utf-8").splitlines()
            assert e.line <= len(text)


def test_a_rule_id_cannot_be_reused_for_other_content() -> None:
    from sen_disagreement.calendar import WORKING_DAY_RULE

    with pytest.raises(ValueError, match="already registered"):
        Rule(WORKING_DAY_RULE.rule_id, "something else", WORKING_DAY_RULE.provenance)


def test_errors_carry_the_rule_object() -> None:
    from sen_disagreement.errors import InvalidInputError, RuleViolationError
    from sen_disagreement.voluntary import WITHDRAW_ANY_TIME

    err = RuleViolationError("refused", rule_id=WITHDRAW_ANY_TIME)
    assert err.rule is WITHDRAW_ANY_TIME
    assert err.citation == WITHDRAW_ANY_TIME.cite()
    bad = InvalidInputError("must be a date", field="on", rule_id="input.type")
    assert isinstance(bad.rule, Check)
