"""Citations as structure: which instrument, which provisions.

Every :class:`~sen_disagreement.provenance.Citation` is written as readers write them
("CFA 2014 s.57(4)", "SEND Regs 2014 reg 10(4)(a)-(d)", "HESC Rules 2008 r.12(2), r.12(3)(a)").
This module reads that text back into an :class:`Instrument` and canonical provisions
(``s.57(4)``, ``reg 10(4)(a)``, ``r.12(3)(a)``, ``Sch 17 para 4(1)``, ``para 11.6``), so that a
reader can ask for "reg 34(1)" and find every rule resting on it, however it was spelled.

A citation to a secondary source (IPSEA, a council page) or a note on what was not confirmed
names no instrument: :attr:`ParsedCitation.instrument` is ``None``. A citation graded primary must
name one (the registry's meta-tests check it).
"""

from __future__ import annotations

import re
from functools import lru_cache

from attrs import frozen

from sen_disagreement._enum import Enum

__all__ = [
    "INSTRUMENTS",
    "MAX_TEXT",
    "Instrument",
    "InstrumentKind",
    "ParsedCitation",
    "covers",
    "instrument",
    "parse",
    "split_provision",
]


class InstrumentKind(Enum):
    """What sort of source of law an :class:`Instrument` is: an Act, regulations, procedure rules,
    statutory guidance, explanatory notes or case law."""

    ACT = "act"
    REGULATIONS = "regulations"
    RULES = "rules"
    GUIDANCE = "guidance"
    EXPLANATORY_NOTES = "explanatory notes"
    CASE_LAW = "case law"


@frozen
class Instrument:
    """A source of law: an Act, a statutory instrument, procedure rules, statutory guidance."""

    key: str
    """Short stable key (``cfa2014``, ``send_regs_2014``...)."""
    title: str
    kind: InstrumentKind
    aliases: tuple[str, ...]
    url: str | None = None


_K = InstrumentKind
INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("cfa2014_en", "Children and Families Act 2014, Explanatory Notes",
               _K.EXPLANATORY_NOTES, ("CFA 2014 Explanatory Notes", "Explanatory Notes"),
               "https://www.legislation.gov.uk/ukpga/2014/6/notes"),
    Instrument("cfa2014", "Children and Families Act 2014", _K.ACT,
               ("Children and Families Act 2014", "CFA 2014", "CFA"),
               "https://www.legislation.gov.uk/ukpga/2014/6"),
    Instrument("send_regs_2014",
               "Special Educational Needs and Disability Regulations 2014 (SI 2014/1530)",
               _K.REGULATIONS,
               ("Special Educational Needs and Disability Regulations 2014",
                "SEND Regulations 2014", "SEND Regs 2014", "SEND Regs", "SI 2014/1530"),
               "https://www.legislation.gov.uk/uksi/2014/1530"),
    Instrument("hesc_rules_2008",
               "Tribunal Procedure (First-tier Tribunal) (Health, Education and Social Care "
               "Chamber) Rules 2008 (SI 2008/2699)", _K.RULES,
               ("HESC Rules 2008", "HESC Rules", "SI 2008/2699"),
               "https://www.legislation.gov.uk/uksi/2008/2699"),
    Instrument("si_2020_471",
               "Special Educational Needs and Disability (Coronavirus) (Amendment) "
               "Regulations 2020 (SI 2020/471)", _K.REGULATIONS, ("SI 2020/471",),
               "https://www.legislation.gov.uk/uksi/2020/471"),
    Instrument("send_cop_2015", "SEND Code of Practice: 0 to 25 years (January 2015)",
               _K.GUIDANCE, ("SEND Code of Practice 0-25 (2015)", "SEND Code of Practice",
                             "SEND CoP", "CoP")),
    Instrument("eqa2010", "Equality Act 2010", _K.ACT, ("Equality Act 2010",),
               "https://www.legislation.gov.uk/ukpga/2010/15"),
    Instrument("lga1974", "Local Government Act 1974", _K.ACT, ("Local Government Act 1974",),
               "https://www.legislation.gov.uk/ukpga/1974/7"),
    Instrument("hca2022", "Health and Care Act 2022", _K.ACT, ("Health and Care Act 2022",),
               "https://www.legislation.gov.uk/ukpga/2022/31"),
    Instrument("si_2022_634", "SI 2022/634 (Health and Care Act 2022 consequential amendments)",
               _K.REGULATIONS, ("SI 2022/634",)),
    Instrument("si_2017_1306", "SI 2017/1306 (national trial of the Tribunal's extended powers)",
               _K.REGULATIONS, ("SI 2017/1306",)),
    Instrument("si_2015_359", "SI 2015/359 (SEND (Amendment) Regulations 2015)",
               _K.REGULATIONS, ("SI 2015/359",)),
    Instrument("si_2009_309",
               "Local Authority Social Services and National Health Service Complaints (England) "
               "Regulations 2009 (SI 2009/309)", _K.REGULATIONS,
               ("Local Authority Social Services and NHS Complaints (England) Regulations 2009",
                "SI 2009/309")),
    Instrument("uk_gdpr", "UK General Data Protection Regulation", _K.REGULATIONS,
               ("UK GDPR",)),
    Instrument("dpa2018", "Data Protection Act 2018", _K.ACT, ("DPA 2018",)),
    Instrument("ea1996", "Education Act 1996", _K.ACT, ("Education Act 1996",)),
    Instrument("ea2002", "Education Act 2002", _K.ACT, ("Education Act 2002",)),
    Instrument("ca1989", "Children Act 1989", _K.ACT, ("Children Act 1989",)),
    Instrument("mca2005", "Mental Capacity Act 2005", _K.ACT, ("Mental Capacity Act 2005",)),
    Instrument("cpr", "Civil Procedure Rules", _K.RULES, ("CPR",)),
    Instrument("foia2000", "Freedom of Information Act 2000", _K.ACT, ("FOIA",)),
)
"""Every instrument a citation can name, with the spellings (aliases) readers use for it."""
_BY_KEY = {i.key: i for i in INSTRUMENTS}
_ALIASES = sorted(((a, i) for i in INSTRUMENTS for a in i.aliases), key=lambda p: -len(p[0]))

# A judgment: [2020] EWHC 3326 (Admin), [2023] EWCA Civ 207, [1981] 1 WLR 1027.
_CASE = re.compile(r"\[(\d{4})\]\s+(?:\d+\s+)?(EWHC|EWCA Civ|UKSC|UKUT|UKHL|WLR|AC)\s+\d+")
_CASE_LAW = Instrument("case_law", "Judgments", _K.CASE_LAW, ())

_SUB = r"(?:\s?\((?:[0-9]+[A-Z]?|[a-z]{1,4})\))*"
_NUM = r"\d+[A-Z]{0,2}"
# One provision token, then optional continuations: ", 55", "-56", ", (4)", "-(5)", " and 34".
_PROVISION = re.compile(
    rf"""(?P<marker>Sch\s?\d+\s+paras?|ss?\.|regs?\s|rr?\.|paras?\s|ch\.|Art\.\s?|
         (?<![\w.])(?=\d+\.\d+))\s*
        (?P<first>{_NUM}(?:\.\d+)?{_SUB})
        (?P<more>(?:\s*(?:,|-|and|to)\s*(?:{_NUM}(?:\.\d+)?{_SUB}|{_SUB[:-1]}+)(?![\w.]))*)""",
    re.VERBOSE,
)
_PART = re.compile(rf"{_NUM}(?:\.\d+)?{_SUB}|(?:\((?:[0-9]+[A-Z]?|[a-z]{{1,4}})\))+")


def _marker(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith("Sch"):
        number = re.sub(r"\D", "", raw)
        return f"Sch {number} para "
    base = raw.rstrip(".").strip()
    return {"s": "s.", "ss": "s.", "reg": "reg ", "regs": "reg ", "r": "r.", "rr": "r.",
            "para": "para ", "paras": "para ", "ch": "ch.", "Art": "Art.", "": "para "}[base]


def _subs(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"\(([^)]+)\)", text))


def _head(text: str) -> str:
    return re.split(r"\s?\(", text, maxsplit=1)[0]


def _expand_range(start: str, end: str) -> list[str] | None:
    """``51``-``56`` -> 51..56, ``11.6``-``11.8`` -> 11.6..11.8; ``(4)``-``(5)``
    (sub-paragraphs) is handled by the caller."""
    if start.isdigit() and end.isdigit() and int(start) < int(end) <= int(start) + 60:
        return [str(n) for n in range(int(start), int(end) + 1)]
    a, _, x = start.partition(".")
    b, _, y = end.partition(".")
    if x and y and a == b and x.isdigit() and y.isdigit() and int(x) < int(y) <= int(x) + 60:
        return [f"{a}.{n}" for n in range(int(x), int(y) + 1)]
    return None


def _provisions(marker: str, first: str, more: str) -> list[str]:
    out = [marker + first.replace(" ", "")]
    previous = first.replace(" ", "")
    for sep, part in re.findall(rf"\s*(,|-|and|to)\s*({_PART.pattern})", more):
        part = part.replace(" ", "")
        if part.startswith("("):
            # A sub-paragraph continuing the previous provision: s.57(1), (4); s.55(4)-(5).
            parent = previous[: previous.rfind("(")] if "(" in previous else previous
            if sep in {"-", "to"} and part.count("(") == 1 and "(" in previous:
                lo, hi = _subs(previous)[-1], _subs(part)[0]
                span = _expand_range(lo, hi) or (
                    [chr(c) for c in range(ord(lo), ord(hi) + 1)]
                    if len(lo) == 1 and len(hi) == 1 and lo.isalpha() and hi.isalpha() and lo < hi
                    else [hi]
                )
                out.extend(marker + f"{parent}({s})" for s in span if f"{parent}({s})" != previous)
                previous = f"{parent}({span[-1]})"
                continue
            previous = parent + part
        elif sep in {"-", "to"} and (numbers := _expand_range(_head(previous), _head(part))):
            out.extend(marker + n for n in numbers[1:-1])
            previous = part
        else:
            previous = part
        out.append(marker + previous)
    return out


@frozen
class ParsedCitation:
    """What a citation's text names: an instrument (or none) and canonical provisions."""

    instrument: Instrument | None
    provisions: tuple[str, ...]
    cases: tuple[str, ...] = ()


def _instrument_at(segment: str) -> tuple[Instrument | None, str]:
    stripped = segment.strip()
    for alias, instrument in _ALIASES:
        if stripped.startswith(alias) and (
            len(stripped) == len(alias) or not stripped[len(alias)].isalnum()
        ):
            return instrument, stripped[len(alias):]
    return None, stripped


MAX_TEXT = 500
"""Longest citation text :func:`parse` reads; the rest is ignored."""


@lru_cache(maxsize=1024)
def parse(text: str) -> ParsedCitation:
    """Read a citation's text (see the module docstring). Never raises: text naming no known
    instrument parses to ``instrument=None``."""
    # Citations in this library are a line or two; a longer text is read up to MAX_TEXT (the
    # continuation rules make reading cost grow with the square of a provision's length).
    text = text[:MAX_TEXT]
    first_instrument: Instrument | None = None
    current: Instrument | None = None
    provisions: list[str] = []
    # Everything after the first ": " is commentary ("SEND Regs 2014 reg 2(1): 'working day'
    # not defined"), except that the commentary may itself start with a provision.
    body = text.split(": ", 1)[0]
    for segment in re.split(r";\s*", body):
        named, rest = _instrument_at(segment)
        if named is not None:
            current = named
            first_instrument = first_instrument or named
        elif current is None:
            continue
        # Provisions up to the first remark in brackets ("CFA 2014 s.52(4) (independent
        # mediator)", "reg 32(b) (cross-refers s.55(4))"): a remark may name another
        # instrument's provisions. "s.57(1), (4)" continues a provision and is kept.
        rest = re.split(r"(?<!,)\s\(", rest, maxsplit=1)[0]
        for m in _PROVISION.finditer(rest):
            provisions.extend(_provisions(_marker(m["marker"]), m["first"], m["more"] or ""))
    cases = tuple(m.group(0) for m in _CASE.finditer(text))
    if first_instrument is None and cases:
        first_instrument = _CASE_LAW
    return ParsedCitation(first_instrument, tuple(dict.fromkeys(provisions)), cases)


def split_provision(provision: str) -> tuple[str, str, tuple[str, ...]]:
    """``reg 10(4)(a)`` -> (``reg``, ``10``, (``4``, ``a``))."""
    m = re.match(r"(Sch \d+ para |s\.|reg |r\.|para |ch\.|Art\.)(\S+?)((?:\([^)]+\))*)$",
                 provision)
    if m is None:
        return ("", provision, ())
    return (m[1].strip(), m[2], _subs(m[3]))


def covers(provision: str, query: str) -> bool:
    """Whether ``provision`` is ``query`` or one contains the other (``s.57`` and ``s.57(4)``)."""
    a, b = split_provision(provision), split_provision(query)
    if a[:2] != b[:2]:
        return False
    n = min(len(a[2]), len(b[2]))
    return a[2][:n] == b[2][:n]


def instrument(key: str) -> Instrument:
    """The instrument with this key (``KeyError`` if none)."""
    return _BY_KEY[key]
