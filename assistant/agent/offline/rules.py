"""The rules ``recognise`` applies: which intent the words name, groupings, counts, units.

Pure functions over the lowercased question (periods and names blanked out where noted),
so each rule can be read, and tested, on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.agent.offline.intent import Intent
from assistant.agent.offline.periods import NUMBER_WORDS, Period
from assistant.agent.offline.refs import BILL_KINDS, EntityRef
from assistant.agent.offline.vocabulary import GROUP_WORDS, UNIT_WORDS

__all__ = [
    "BEFORE",
    "CHECKABLE",
    "Unit",
    "asks_change",
    "asks_why",
    "beside_kind",
    "bucket",
    "classify",
    "dim_of",
    "group_by",
    "group_word_spans",
    "is_followup",
    "is_future",
    "kind_hint",
    "kind_near",
    "kind_order",
    "pair",
    "rank",
    "refers_back",
    "savings_topic",
    "top_n",
    "unit",
    "unused",
    "uses_group",
]

I = Intent  # noqa: E741

#: kinds whose query_costs filter takes the bare name (and the tool checks it)
CHECKABLE = ("team", "namespace", "app", "cluster", "node")
_KIND_ORDER = ("team", "namespace", "workload", "app", "cluster", "node", *BILL_KINDS)

_WORD_NUMBERS = NUMBER_WORDS
_KIND_HINTS = [
    (r"\bteams?\b|\bsquads?\b", "team"),
    (r"\bnamespaces?\b|\bns\b", "namespace"),
    (r"\bapps?\b|\bapplications?\b", "app"),
    (r"\b(?:workloads?|deployments?|jobs?|cronjobs?|statefulsets?|daemonsets?)\b", "workload"),
    (r"\bnodes?\b", "node"),
    (r"\bclusters?\b", "cluster"),
]
_FUTURE = re.compile(
    r"\b(?:will|going to|gonna|forecast\w*|project(?:ed|ion)?|expect(?:ed)?|predict\w*|"
    r"on track|end of (?:the )?month|month[- ]end|run[- ]rate|burn[- ]rate|by the end|land)\b"
)


def _has(text: str, pattern: str) -> bool:
    return re.search(pattern, text) is not None


def kind_order(kind: str) -> int:
    return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else 99


def kind_hint(text: str) -> str | None:
    for pattern, kind in _KIND_HINTS:
        if re.search(pattern, text):
            return kind
    return None


def kind_near(text: str) -> str | None:
    """The kind word right beside a name ("payments namespace", "team payments")."""
    return kind_hint(text)


def beside_kind(text: str, start: int, end: int, kind: str) -> bool:
    """A kind word directly before or after [start, end) ("team xyz", "the xyz team")."""
    words = {  # singular: "team xyz" names one; "clusters emit" does not
        "team": r"team",
        "namespace": r"namespace|ns",
        "app": r"app|application",
        "cluster": r"cluster",
        "node": r"node",
    }[kind]
    return bool(
        re.search(rf"\b(?:{words})\s*$", text[:start]) or re.match(rf"\s*(?:{words})\b", text[end:])
    )


def is_future(text: str) -> bool:
    return _FUTURE.search(text) is not None


def dim_of(kind: str) -> str:
    return "controller" if kind == "workload" else kind


def top_n(text: str) -> tuple[int | None, tuple[int, int] | None]:
    nums = "|".join(_WORD_NUMBERS)
    m = (
        re.search(
            r"\b(?:top|biggest|largest|highest|most expensive|costliest|first)\s+"
            rf"(\d{{1,3}}|{nums})\b",
            text,
        )
        or re.search(
            rf"\b(\d{{1,3}}|{nums})\s+(?:biggest|largest|most expensive|costliest|highest|top)\b",
            text,
        )
        or re.search(
            # "which 3 apps spent the most", "the five teams that cost the most"
            rf"\b(?:which|what|the)\s+(\d{{1,3}}|{nums})\s+(?:teams|namespaces|apps|workloads|"
            r"nodes|clusters|pods|containers|services|envs|environments)\b",
            text,
        )
    )
    if not m:
        return None, None
    raw = m.group(1)
    return (int(raw) if raw.isdigit() else _WORD_NUMBERS[raw]), m.span(1)


def group_word_spans(text: str) -> list[tuple[int, int]]:
    """Where group (kind) words are: always accounted for, as a kind or a grouping."""
    pattern = "|".join(p for p, _ in GROUP_WORDS)
    return [m.span() for m in re.finditer(rf"\b(?:{pattern})\b", text)]


_GROUP_LEAD = (
    r"\b(?:by|per|each|every|which|what|top|biggest|largest|most expensive|costliest|for each|"
    r"split by|broken down by|across|among)\s+(?:\d+\s+|[a-z]+\s+)?"
)


def group_by(text: str, *, loose: bool = False) -> str | None:
    """The grouping the question asks for: "by team", "which namespaces", "top 5 apps";
    ``loose`` (rankings) also takes a bare group word ("break down last month by app")."""
    m = re.search(r"\blabel[: ]+([a-z0-9./_-]+)", text)
    if m:
        return f"label:{m.group(1)}"
    # the earliest explicit grouping wins ("which workloads in the ml namespace cost the
    # most" groups by workload), then "<group> cost the most"
    leads = [
        (m.start(), -m.end(), dim)  # earliest, then longest ("by service category")
        for pattern, dim in GROUP_WORDS
        for m in [re.search(_GROUP_LEAD + rf"(?:{pattern})\b", text)]
        if m is not None
    ]
    if leads:
        return min(leads)[2]
    for pattern, dim in GROUP_WORDS:
        if re.search(
            rf"\b(?:{pattern})\b\s+(?:cost|spent|spend|spending|use|used|grew|increased)\b.*"
            r"\b(?:most|least)\b",
            text,
        ):
            return dim
    if loose:
        for pattern, dim in GROUP_WORDS:
            if re.search(rf"\b(?:{pattern})\b", text) and not dim.startswith("bill:"):
                return dim
    return None


_BUCKET_WORDS = [
    (r"\bdaily\b|\bday[- ]by[- ]day\b|\b(?:per|each|every|by|a) day\b", "day"),
    (r"\bweekly\b|\bweek[- ]by[- ]week\b|\b(?:per|each|every|by|a) week\b", "week"),
    (r"\bmonthly\b|\bmonth[- ]by[- ]month\b|\b(?:per|each|every|by|a) month\b", "month"),
]


def bucket(text: str) -> str | None:
    for pattern, b in _BUCKET_WORDS:
        if re.search(pattern, text):
            return b
    return None


def rank(text: str) -> str | None:
    if _has(text, r"\b(?:the )?(?:most|biggest|largest|highest|fastest)\b"):
        return "most"
    if _has(text, r"\b(?:the )?(?:least|smallest|lowest|slowest)\b"):
        return "least"
    return None


@dataclass(frozen=True)
class Unit:
    unit: str
    scale: int
    start: int
    end: int


_SCALE = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000, "hundred": 100}


def unit(text: str) -> Unit | None:
    """ "per request", "per 1k requests", "per million tokens", "cost of a GPU-hour"."""
    units = "|".join(f"(?:{p})" for p in UNIT_WORDS)
    m = re.search(
        r"\b(?:per|a|an|each|every|for each|for every)\s+"
        r"(?:(?P<n>\d[\d,.]*\s*(?:k|m|thousand|million)?|thousand|million|hundred)\s+)?"
        rf"(?P<u>{units})\b|\bunit costs?\b|\bcost per unit\b",
        text,
    )
    if not m:
        return None
    if m.group("u") is None:
        return Unit("unit", 1, *m.span())
    word = m.group("u")
    name = next(v for p, v in UNIT_WORDS.items() if re.fullmatch(p, word))
    return Unit(name, _scale(m.group("n")), *m.span())


def _scale(raw: str | None) -> int:
    if not raw:
        return 1
    raw = raw.replace(",", "").strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)?\s*(k|m|thousand|million|hundred)?", raw)
    if not m:
        return 1
    base = float(m.group(1)) if m.group(1) else 1.0
    return int(base * _SCALE.get(m.group(2) or "", 1))


BEFORE = re.compile(
    r"\b(?:the )?(?:day|week|month|quarter|period|one|time) before\b|"
    r"\bbefore that\b|\bthe (?:previous|prior) (?:one|period)\b"
)
_VERSUS = re.compile(r"\s(?:vs\.?|versus|compared? (?:to|with)|against)\s")
_COMPARE_PAIR = re.compile(
    r"\b(?:compare|comparing|difference between|diff between)\s+(.+?)"
    r"\s+(?:and|with|to|against)\s+(.+)"
)


def is_followup(text: str) -> bool:
    return _has(
        text,
        r"^(?:and|what about|how about|same for|and for|now|ok|also)\b|\binstead\b|"
        r"^(?:for|in|during)\b",
    )


def refers_back(text: str) -> bool:
    """ "break that down", "split it by pod", "the same by namespace"."""
    return _has(text, r"\b(?:that|it|this|those|these|them|same)\b")


def _blank_periods(text: str, periods: Sequence[Period]) -> str:
    chars = list(text)
    for p in periods:
        for i in range(p.start, p.end):
            chars[i] = " "
    return "".join(chars)


def pair(
    entities: list[EntityRef],
    blanked: str,
    text: str,
    periods: Sequence[Period],
    lookup: Callable[[str, str | None], EntityRef | None],
) -> tuple[EntityRef, EntityRef] | None:
    """The two entities of "A vs B" / "compare A and B"; None unless both sides name
    something, and not the same thing."""
    source = _blank_periods(text, periods)
    lowered = " ".join(source.lower().split())
    if not _has(lowered, _VERSUS.pattern + "|" + _COMPARE_PAIR.pattern):
        return None
    lowered = source.lower()
    m = _COMPARE_PAIR.search(lowered)
    if m:
        left, right = source[m.start(1) : m.end(1)], source[m.start(2) : m.end(2)]
    else:
        v = _VERSUS.search(lowered)
        if v is None:
            return None
        left, right = source[: v.start()], source[v.end() :]
    shared = kind_hint(left.lower()) or kind_hint(right.lower())
    a = lookup(left, kind_hint(left.lower()) or shared)
    b = lookup(right, kind_hint(right.lower()) or shared) if a is not None else None
    if a is None or b is None or (a.kind, a.name, a.namespace) == (b.kind, b.name, b.namespace):
        return None
    return a, b


_COST = (
    r"\b(?:cost|costs|costing|spend|spends|spent|spending|pay|pays|paid|paying|bill(?:ed)?|charges?|"
    r"how much|expensive|price|dollars?|money|burn|invoiced?|opex|expenditures?)\b"
)
_TREND = (
    r"\b(?:daily|weekly|monthly|trend(?:s|ed|ing)?|over time|time series|timeline|"
    r"(?:day|week|month)[- ]by[- ](?:day|week|month)|(?:per|each|every|by|a) "
    r"(?:day|week|month)|(?:day|week|month) (?:by|per) (?:day|week|month))\b"
)
_COMMITMENT = (
    r"\bsavings? plans?\b|\breserv(?:ed instances?|ations?)\b|\bcommit(?:ted|ments?)\b|"
    r"\bcommitted use\b|\bcuds?\b|\bris\b|\bcoverage\b|\bunused commitments?\b"
)
_SAVE = r"\b(?:save|saves|saved|saving|savings|discounts?|discounted)\b"


def classify(
    t: str, has_entity: bool, n_periods: int, bills: tuple[EntityRef, ...], has_unit: bool
) -> Intent | None:
    """The intent the words name, in order of precedence; None = a follow-up or unknown."""
    if re.fullmatch(r"\s*(?:help|\?|hi|hello|hey)\s*[.!?]*\s*", t) or _has(
        t,
        r"\bwhat (?:can|do) you (?:do|answer|know)|\bwhat (?:questions|can i ask)|"
        r"\bhow do i use\b|\bexamples?\b.*\bquestions?\b",
    ):
        return I.HELP
    if _has(
        t,
        r"\b(?:orphan(?:s|ed)?|unattached|detached|dangling|abandoned|forgotten|unmounted|"
        r"not mounted)\b|\bstill (?:being )?(?:billed|charged|paying|paid)\b|"
        r"\b(?:nobody|no one|no pod) (?:uses|mounts)\b",
    ):
        return I.ORPHANS
    if _has(
        t,
        r"\b(?:anomal\w*|unusual|spikes?|spiked|weird|strange|odd|unexpected|outliers?|"
        r"surprising|jumps?)\b",
    ):
        return I.ANOMALIES
    if has_unit:
        return I.UNIT_COST
    if _has(t, r"\bgpus?\b"):
        if _has(
            t,
            r"\b(?:idle|unused|wasted|waste|wasting|sitting|doing nothing|not used|"
            r"underused|underutili[sz]ed)\b",
        ):
            return I.IDLE_GPUS
        return I.GPU_UTILIZATION
    if _has(t, r"\b(?:budgets?|over budget|under budget|overspen\w*|overrun\w*)\b"):
        return I.BUDGET
    if is_future(t):
        return I.FORECAST
    spot = any(b.kind == "pricing_category" for b in bills)
    if _has(t, _COMMITMENT) or (spot and _has(t, _SAVE) and not _has(t, r"\b(?:could|would)\b")):
        return I.SAVINGS
    if _has(
        t,
        r"\b(?:ai|llm|openai|anthropic|claude|gpt[\w.-]*|tokens?|model)\s+"
        r"(?:spend|spending|cost|costs|usage|bill|api|calls?|requests?|queries)\b|"
        r"\b(?:penny'?s|your) (?:own|ai|llm|model)\b|"
        r"\bai (?:api )?spend\b|\bspend(?:ing)? on (?:ai|llms?|openai|anthropic)\b|"
        r"\b(?:openai|anthropic|chatgpt)\b",
    ):
        return I.AI_SPEND
    if _has(
        t,
        r"\bright[- ]?siz\w*|\bover[- ]?provision\w*|\boversized\b|\bsave money\b|"
        + _SAVE
        + r"|\brequests? (?:are |is )?too (?:high|big)\b|"
        r"\bwhere (?:can|could) we (?:cut|save|reduce)\b|\bcut costs?\b|"
        r"\bshould we (?:shrink|resize|downsize)\b|\bdownsiz\w*",
    ):
        return I.RIGHTSIZING
    if _has(
        t,
        r"\b(?:no|without|missing|lacking)(?: a)? team(?: label)?s?\b|\bunlabel+ed\b|"
        r"\buntagged\b|\bnot labell?ed\b|\bwithout (?:a )?label\b|\bno label\b",
    ):
        return I.UNLABELED
    if _has(
        t,
        r"\bunallocated\b|\bnot allocated\b|\bunattributed\b|\bno workload explains\b|"
        r"\bcan'?t be (?:allocated|attributed)\b",
    ):
        return I.UNALLOCATED
    if _has(t, r"\bidle\b|\bunused (?:capacity|nodes?|resources?)\b|\bwasted capacity\b"):
        return I.IDLE
    if _has(t, r"\bwast(?:e|ed|ing|eful)\b"):
        return I.RIGHTSIZING
    explain = _has(
        t,
        r"\bwhy (?:did|is|was|has|are|were|do|does)\b|\bwhat (?:drove|caused|changed)\b|"
        r"\bexplain\b|\bwhat happened\b|\bbreak ?down (?:of )?(?:the )?bill\b|"
        r"\b(?:cost )?drivers?\b",
    )
    if bills and not explain:
        return I.BILL_COST
    if _has(t, r"\b(?:bill|invoiced?|invoices)\b") or (
        explain and not has_entity and n_periods <= 1
    ):
        return I.BILL
    if _has(t, _TREND):
        return I.TREND
    if (
        _has(
            t,
            r"\bcompare[sd]?\b|\bcomparison\b|\bvs\.?\b|\bversus\b|\bcompared\b|"
            r"\bmonth[- ]over[- ]month\b|\bweek[- ]over[- ]week\b|\bdifference between\b|"
            r"\bchange(?:d)? (?:from|since|between)\b|\bgo(?:ne)? (?:up|down)\b|"
            r"\bwent (?:up|down)\b|\bincreas\w*|\bdecreas\w*|\bgrow\w*|\bgrew\b|\brose\b|"
            r"\bfell\b|\bdropp?\w*|\bchange[sd]?\s*[?.!]*$",
        )
        or (n_periods >= 2 and _has(t, _COST + r"|\band\b"))
        or explain
    ):
        return I.COMPARE
    if _has(
        t,
        r"\btop\b|\bbiggest\b|\blargest\b|\bmost expensive\b|\bcostliest\b|"
        r"\bhighest\b|\bmost\b|\brank\w*|\bbreak ?down\b|\bby (?:team|namespace|app|"
        r"node|cluster|workload|pod|container|env|label)|\bper (?:team|"
        r"namespace|app|node|cluster|workload)\b|\bwhich (?:teams?|namespaces?|apps?|"
        r"workloads?|nodes?|clusters?|pods?)\b",
    ):
        return I.TOP
    if has_entity and _has(t, _COST + r"|\bwhat did\b|\bhow much\b"):
        return I.ENTITY_COST
    if _has(t, _COST + r"|\btotal\b"):
        return I.ENTITY_COST if has_entity else I.TOTAL_COST
    return None


#: the cost columns a question can name, as query_costs names them. Not network: data
#: transfer is billed per account, never split to pods, so "the payments team's data
#: transfer" is said to be unanswerable (the bill answers the organisation's)
RESOURCES: tuple[tuple[str, str], ...] = (
    ("cpu", r"\b(?:cpus?|vcpus?|cpu cores?|cores)\b"),
    ("ram", r"\b(?:memory|ram)\b"),
    ("gpu", r"\bgpus?\b"),
    ("pv", r"\b(?:storage|persistent volumes?|volumes?|pvcs?|pvs|disks?)\b"),
    ("lb", r"\bload[- ]?balancers?\b"),
)


def resource(t: str) -> tuple[str, list[tuple[int, int]]] | None:
    """The one cost column a cost question names ("spend on GPUs", "CPU cost") and the
    spans of its words; None without a cost word, or when it names none or several."""
    if not _has(t, _COST):
        return None
    found = {
        name: [m.span() for m in re.finditer(pattern, t)]
        for name, pattern in RESOURCES
        if re.search(pattern, t)
    }
    if len(found) != 1:
        return None
    ((name, spans),) = found.items()
    return name, spans


def asks_why(t: str) -> bool:
    return _has(t, r"\bwhy\b|\bwhat (?:drove|caused|changed)\b|\bexplain\b|\bdrivers?\b")


def asks_change(t: str) -> bool:
    """ "go up/down", "increase", "compared to": a question about a change."""
    return _has(
        t,
        r"\bgo(?:ne|es)? (?:up|down)\b|\bwent (?:up|down)\b|\bincreas\w*|\bdecreas\w*|"
        r"\bgrow\w*|\bgrew\b|\brise\b|\brose\b|\bfell\b|\bdrop\w*|\bcompar\w*|\bchange[sd]?\b|"
        r"\bhigher\b|\blower\b|\bvs\.?\b|\bversus\b|\bmonth[- ]over[- ]month\b",
    )


def savings_topic(t: str, bills: tuple[EntityRef, ...]) -> str | None:
    """What a savings question is about: commitments, spot, or both."""
    commitment = _has(t, _COMMITMENT)
    spot = any(b.kind == "pricing_category" for b in bills)
    if commitment and spot:
        return "both"
    return "commitment" if commitment else "spot" if spot else None


#: what each intent's plan reads from the slots (anything else named is said back)
_USES_ENTITY = {
    I.ENTITY_COST,
    I.RESOURCE_COST,
    I.TOP,
    I.COMPARE,
    I.ENTITY_COMPARE,
    I.TREND,
    I.RIGHTSIZING,
    I.FORECAST,
    I.BUDGET,
    I.UNIT_COST,
    I.BILL_COST,
}
_USES_BILL = {I.BILL_COST, I.SAVINGS, I.TOTAL_COST, I.ORPHANS}
_USES_GROUP = {
    I.TOP,
    I.TOTAL_COST,
    I.TREND,
    I.COMPARE,
    I.BILL_COST,
    I.ENTITY_COMPARE,
    I.RESOURCE_COST,
}


def uses_group(intent: Intent) -> bool:
    return intent in _USES_GROUP


def unused(
    intent: Intent,
    entity: EntityRef | None,
    bills: tuple[EntityRef, ...],
    group: str | None,
    unit_name: str | None,
) -> list[str]:
    """Names and groupings the question gave that the chosen plan would not use."""
    out: list[str] = []
    if intent in (I.UNKNOWN, I.HELP):
        return out
    if entity is not None and intent not in _USES_ENTITY:
        out.append(entity.phrase or entity.name)
    if bills and intent not in _USES_BILL:
        out += [b.phrase or b.name for b in bills]
    per_workload = intent in (I.RIGHTSIZING, I.ORPHANS) and group == "controller"
    not_bill = intent is I.BILL_COST and group is not None and not group.startswith("bill:")
    if group is not None and (intent not in _USES_GROUP or not_bill) and not per_workload:
        out.append(f"by {group.removeprefix('bill:').replace('_', ' ')}")
    if unit_name is not None and intent is not I.UNIT_COST:
        out.append(f"per {unit_name}")
    return out
