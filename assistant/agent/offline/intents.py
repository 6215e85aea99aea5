"""Intent and slot recognition for the offline engine: plain rules over the question's words.

``recognise`` turns a question into a :class:`Parsed` (intent + slots: periods, group-by,
top N, the entity named). It is pure: entity lookup is a function passed in, so unit
tests use a fixed name list and the engine uses the warehouse's names. A follow-up ("and
in September?", "what about the data team?") carries no intent words of its own: it
takes the previous turn's intent and slots and replaces only what it names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from assistant.agent.offline.periods import Period, find_periods
from assistant.windows import Window

__all__ = ["INTENTS", "EntityRef", "Parsed", "Slots", "recognise"]

INTENTS = (
    "help",
    "entity_cost",
    "total_cost",
    "top",
    "compare",
    "entity_compare",
    "trend",
    "idle",
    "unallocated",
    "unlabeled",
    "gpu_utilization",
    "idle_gpus",
    "ai_spend",
    "rightsizing",
    "bill",
    "anomalies",
    "unknown",
)


@dataclass(frozen=True)
class EntityRef:
    """A warehouse name the question refers to, and how it was recognised."""

    name: str
    kind: str  # namespace | workload | team | app | node | cluster
    filter: dict[str, str]  # the query_costs filter selecting it
    how: str = "exact"  # exact | fuzzy | semantic
    score: float = 1.0
    phrase: str = ""  # the words of the question it was read from
    namespace: str | None = None
    controller_kind: str | None = None


#: finds the entity in a question (periods already blanked out); kind_hint from "team" etc.
Lookup = Callable[[str, "str | None"], "EntityRef | None"]


@dataclass(frozen=True)
class Slots:
    window: Window | None = None  # the period (compare: the earlier one)
    window_b: Window | None = None  # compare: the later period
    group_by: str | None = None
    top_n: int | None = None
    entity: EntityRef | None = None
    periods: tuple[str, ...] = ()  # the period phrases as written
    entity_b: EntityRef | None = None  # entity_compare: the second entity ("A vs B")
    bucket: str | None = None  # day | week | month, when the question names one
    provider: str | None = None  # ai_spend: openai | anthropic, when the question names one


@dataclass(frozen=True)
class Parsed:
    intent: str
    slots: Slots = field(default_factory=Slots)
    followup: bool = False


_WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
}

#: group-by words, longest first; values are query_costs dimensions
_GROUPS = [
    (r"cost[- ]?cent(?:er|re)s?", "cost_center"),
    (r"namespaces?|ns", "namespace"),
    (r"teams?", "team"),
    (r"apps?|applications?", "app"),
    (r"workloads?|deployments?|controllers?|jobs?|cronjobs?|statefulsets?", "controller"),
    (r"nodes?|machines?|instances?", "node"),
    (r"clusters?", "cluster"),
    (r"pods?", "pod"),
    (r"containers?", "container"),
    (r"env(?:ironment)?s?", "env"),
    (r"services?", "service"),
]

_KIND_HINTS = [
    (r"\bteams?\b", "team"),
    (r"\bnamespaces?\b|\bns\b", "namespace"),
    (r"\bapps?\b|\bapplications?\b", "app"),
    (r"\b(?:workloads?|deployments?|jobs?|cronjobs?|statefulsets?|daemonsets?)\b", "workload"),
    (r"\bnodes?\b", "node"),
    (r"\bclusters?\b", "cluster"),
]


def _has(text: str, pattern: str) -> bool:
    return re.search(pattern, text) is not None


def _top_n(text: str) -> int | None:
    nums = "|".join(_WORD_NUMBERS)
    m = re.search(
        r"\b(?:top|biggest|largest|highest|most expensive|costliest|first)\s+"
        rf"(\d{{1,3}}|{nums})\b",
        text,
    ) or re.search(
        rf"\b(\d{{1,3}}|{nums})\s+(?:biggest|largest|most expensive|costliest|highest|top)\b", text
    )
    if not m:
        return None
    raw = m.group(1)
    return int(raw) if raw.isdigit() else _WORD_NUMBERS[raw]


def _group_by(text: str) -> str | None:
    m = re.search(r"\blabel[: ]+([a-z0-9./_-]+)", text)
    if m:
        return f"label:{m.group(1)}"
    for pattern, dim in _GROUPS:
        if re.search(
            rf"\b(?:by|per|each|which|what|top|biggest|largest|most expensive|"
            rf"costliest)\s+(?:\d+\s+|[a-z]+\s+)?(?:{pattern})\b",
            text,
        ) or re.search(
            rf"\b(?:{pattern})\b\s+(?:cost|spent|spend|spending|use|used)\b.*"
            r"\bmost\b",
            text,
        ):
            return dim
    for pattern, dim in _GROUPS:
        if re.search(rf"\b(?:{pattern})\b", text) and dim != "service":
            return dim
    return None


def _kind_hint(text: str) -> str | None:
    for pattern, kind in _KIND_HINTS:
        if re.search(pattern, text):
            return kind
    return None


def _blank(text: str, periods: list[Period]) -> str:
    """The question with its period phrases replaced by spaces (positions kept)."""
    chars = list(text)
    for p in periods:
        for i in range(p.start, p.end):
            chars[i] = " "
    return "".join(chars)


#: a series over time: "daily", "per week", "trend", "over time", "day by day"
_TREND = (
    r"\b(?:daily|weekly|monthly|trend(?:s|ed|ing)?|over time|time series|timeline|"
    r"(?:day|week|month)[- ]by[- ](?:day|week|month)|(?:per|each|every|by|a) "
    r"(?:day|week|month)|(?:day|week|month) (?:by|per) (?:day|week|month))\b"
)
_BUCKET_WORDS = [
    (r"\bdaily\b|\bday[- ]by[- ]day\b|\b(?:per|each|every|by|a) day\b", "day"),
    (r"\bweekly\b|\bweek[- ]by[- ]week\b|\b(?:per|each|every|by|a) week\b", "week"),
    (r"\bmonthly\b|\bmonth[- ]by[- ]month\b|\b(?:per|each|every|by|a) month\b", "month"),
]

#: what separates two entities: "A vs B", "A compared to B", "compare A and B"
_VERSUS = re.compile(r"\s(?:vs\.?|versus|compared? (?:to|with)|against)\s")
_COMPARE_PAIR = re.compile(
    r"\b(?:compare|comparing|difference between|diff between)\s+(.+?)"
    r"\s+(?:and|with|to|against)\s+(.+)"
)
#: "the week before", "before that": a follow-up that moves the previous period back
_BEFORE = re.compile(
    r"\b(?:the )?(?:day|week|month|quarter|period|one|time) before\b|"
    r"\bbefore that\b|\bthe (?:previous|prior) (?:one|period)\b"
)


def _bucket(text: str) -> str | None:
    for pattern, bucket in _BUCKET_WORDS:
        if re.search(pattern, text):
            return bucket
    return None


def _split_by(text: str) -> str | None:
    """Only an explicit "by team" / "per namespace" splits a series."""
    for pattern, dim in _GROUPS:
        if re.search(rf"\b(?:by|per|for each|split by|broken down by)\s+(?:{pattern})\b", text):
            return dim
    return None


def _two_entities(text: str, lookup: Lookup) -> tuple[EntityRef, EntityRef] | None:
    """The two entities of "A vs B" / "compare A and B", each side looked up on its own;
    None unless both sides name something and not the same thing."""
    lowered = text.lower()
    m = _COMPARE_PAIR.search(lowered)
    if m:
        left, right = text[m.start(1) : m.end(1)], text[m.start(2) : m.end(2)]
    else:
        v = _VERSUS.search(lowered)
        if v is None:
            return None
        left, right = text[: v.start()], text[v.end() :]
    shared_hint = _kind_hint(left.lower()) or _kind_hint(right.lower())
    a = lookup(left, _kind_hint(left.lower()) or shared_hint)
    b = lookup(right, _kind_hint(right.lower()) or shared_hint) if a is not None else None
    if a is None or b is None or (a.kind, a.name, a.namespace) == (b.kind, b.name, b.namespace):
        return None
    return a, b


_COST = (
    r"\b(?:cost|costs|costing|spend|spent|spending|pay|paid|paying|bill(?:ed)?|charges?|"
    r"how much|expensive|price|dollars?|money)\b"
)


def _classify(t: str, has_entity: bool, n_periods: int) -> str | None:
    """The intent named by the words alone, or None (a follow-up or not understood)."""
    if re.fullmatch(r"\s*(?:help|\?|hi|hello|hey)\s*[.!?]*\s*", t) or _has(
        t,
        r"\bwhat (?:can|do) you (?:do|answer|know)|\bwhat (?:questions|can i ask)|"
        r"\bhow do i use\b|\bexamples?\b.*\bquestions?\b|^help\b",
    ):
        return "help"
    if _has(
        t,
        r"\b(?:anomal\w*|unusual|spikes?|spiked|weird|strange|odd|unexpected|outliers?|"
        r"surprising|jumps?)\b",
    ):
        return "anomalies"
    if _has(t, r"\bgpus?\b"):
        if _has(
            t,
            r"\b(?:idle|unused|wasted|waste|wasting|sitting|doing nothing|not used|"
            r"underused|underutili[sz]ed)\b",
        ):
            return "idle_gpus"
        return "gpu_utilization"
    if _has(
        t,
        r"\b(?:ai|llm|openai|anthropic|claude|gpt[\w.-]*|tokens?|model)\s+"
        r"(?:spend|spending|cost|costs|usage|bill|api|calls?|requests?|queries)\b|"
        r"\b(?:penny'?s|your) (?:own|ai|llm|model)\b|"
        r"\bai (?:api )?spend\b|\bspend(?:ing)? on (?:ai|llms?|openai|anthropic)\b|"
        r"\b(?:openai|anthropic)\b",
    ):
        return "ai_spend"
    if _has(
        t,
        r"\bright[- ]?siz\w*|\bover[- ]?provision\w*|\boversized\b|\bsave money\b|"
        r"\b(?:savings?|save)\b|\brequests? (?:are |is )?too (?:high|big)\b|"
        r"\bwhere (?:can|could) we (?:cut|save|reduce)\b|\bcut costs?\b|"
        r"\bshould we (?:shrink|resize|downsize)\b|\bdownsiz\w*",
    ):
        return "rightsizing"
    if _has(
        t,
        r"\b(?:no|without|missing|lacking)(?: a)? team(?: label)?s?\b|\bunlabel+ed\b|"
        r"\buntagged\b|\bnot labell?ed\b|\bwithout (?:a )?label\b|\bno label\b",
    ):
        return "unlabeled"
    if _has(
        t,
        r"\bunallocated\b|\bnot allocated\b|\bunattributed\b|\bno workload explains\b|"
        r"\bcan'?t be (?:allocated|attributed)\b",
    ):
        return "unallocated"
    if _has(t, r"\bidle\b|\bunused (?:capacity|nodes?|resources?)\b|\bwasted capacity\b"):
        return "idle"
    if _has(t, r"\bwast(?:e|ed|ing|eful)\b"):
        return "rightsizing"
    explain = _has(
        t,
        r"\bwhy (?:did|is|was|has|are|were)\b|\bwhat (?:drove|caused|changed)\b|"
        r"\bexplain\b|\bwhat happened\b|\bbreak ?down (?:of )?(?:the )?bill\b",
    )
    if _has(t, r"\b(?:bill|invoice)\b") or (explain and not has_entity and n_periods <= 1):
        return "bill"
    if _has(t, _TREND):
        return "trend"
    if (
        _has(
            t,
            r"\bcompare[sd]?\b|\bcomparison\b|\bvs\.?\b|\bversus\b|\bcompared\b|"
            r"\bmonth[- ]over[- ]month\b|\bweek[- ]over[- ]week\b|\bdifference between\b|"
            r"\bchange(?:d)? (?:from|since|between)\b|\bgo(?:ne)? (?:up|down)\b|"
            r"\bwent (?:up|down)\b|\bincreas\w*|\bdecreas\w*|\bgrow\w*|\bgrew\b|"
            r"\bchange[sd]?\s*[?.!]*$",
        )
        or (n_periods >= 2 and _has(t, _COST + r"|\band\b"))
        or explain
    ):
        return "compare"
    if _has(
        t,
        r"\btop\b|\bbiggest\b|\blargest\b|\bmost expensive\b|\bcostliest\b|"
        r"\bhighest\b|\bmost\b|\brank\w*|\bbreak ?down\b|\bby (?:team|namespace|app|"
        r"node|cluster|workload|pod|container|env|service|label)|\bper (?:team|"
        r"namespace|app|node|cluster|workload)\b|\bwhich (?:teams?|namespaces?|apps?|"
        r"workloads?|nodes?|clusters?|pods?)\b",
    ):
        return "top"
    if has_entity and _has(t, _COST + r"|\bwhat did\b|\bhow much\b"):
        return "entity_cost"
    if _has(t, _COST + r"|\btotal\b"):
        return "entity_cost" if has_entity else "total_cost"
    return None


def recognise(
    question: str, now: datetime, lookup: Lookup, previous: Parsed | None = None
) -> Parsed:
    """Intent and slots for ``question``; ``previous`` is the thread's last understood turn."""
    text = question.strip()
    periods = find_periods(text, now)
    blanked = _blank(text, periods).lower()
    hint = _kind_hint(blanked)
    entity = lookup(_blank(text, periods), hint)
    t = " ".join(blanked.split())
    pair = (
        _two_entities(_blank(text, periods), lookup)
        if _has(t, _VERSUS.pattern + "|" + _COMPARE_PAIR.pattern)
        else None
    )
    intent = "entity_compare" if pair else _classify(t, entity is not None, len(periods))
    if pair:
        entity = pair[0]
    if (
        entity is not None
        and entity.how == "unresolved"
        and intent not in ("entity_cost", "total_cost", "compare", None)
    ):
        entity = None  # leftover words in a ranking or a GPU question name nothing
        intent = _classify(t, False, len(periods))
    top_n = _top_n(t)
    group_by = _group_by(t)
    if intent == "trend":
        group_by = _split_by(t)  # "daily cost by team"; "the ml team" splits nothing
    elif intent is not None and intent not in ("top", "total_cost"):
        group_by = None  # only rankings are grouped; "no team label" groups nothing
    if entity is not None and group_by is not None and group_by == _dim_of(entity.kind):
        group_by = None  # "the payments team" names a team, it does not group by team
    windows = sorted((p.window for p in periods), key=lambda w: w.start)
    slots = Slots(
        window=windows[0] if windows else None,
        window_b=windows[1] if len(windows) > 1 else None,
        group_by=group_by,
        top_n=top_n,
        entity=entity,
        periods=tuple(p.phrase for p in periods),
        entity_b=pair[1] if pair else None,
        bucket=_bucket(t),
    )
    followup_words = _has(
        t,
        r"^(?:and|what about|how about|same for|and for|now|ok|also)\b|"
        r"\binstead\b|^(?:for|in|during)\b",
    )
    old_window = previous.slots.window if previous is not None else None
    if previous is not None and old_window is not None and not periods and _BEFORE.search(t):
        # "and the week before?": the previous period moved back (a comparison: both)
        slots = replace(
            slots, window=old_window if previous.slots.window_b else old_window.previous()
        )
    if intent is None or (
        previous is not None
        and followup_words
        and intent in {"entity_cost", "total_cost"}
        and previous.intent not in {"help", "unknown"}
    ):
        if (
            previous is not None
            and previous.intent not in {"help", "unknown"}
            and (slots.window or entity is not None or group_by or top_n or followup_words)
        ):
            return Parsed(previous.intent, _merge(previous.slots, slots), followup=True)
        return Parsed("unknown", slots)
    if intent == "total_cost" and group_by and group_by != "service":
        intent = "top"
    if intent == "ai_spend":
        slots = replace(slots, provider=_provider(t))
    return Parsed(intent, slots)


def _provider(text: str) -> str | None:
    """The AI provider a question names ("spend on OpenAI", "Claude costs"), if exactly one."""
    named = {
        name
        for name, pattern in (
            ("openai", r"\b(?:openai|gpt[\w.-]*|chatgpt)\b"),
            ("anthropic", r"\b(?:anthropic|claude)\b"),
        )
        if _has(text, pattern)
    }
    return named.pop() if len(named) == 1 else None


def _dim_of(kind: str) -> str:
    return "controller" if kind == "workload" else kind


def _merge(old: Slots, new: Slots) -> Slots:
    """The previous slots with whatever the follow-up names replacing them."""
    merged = old
    if new.window is not None:
        if old.window_b is not None and new.window_b is None:
            # "and in September?" after a comparison: compare September with its predecessor
            merged = replace(merged, window=new.window.previous(), window_b=new.window)
        else:
            merged = replace(merged, window=new.window, window_b=new.window_b)
        merged = replace(merged, periods=new.periods)
    if new.entity is not None:
        merged = replace(merged, entity=new.entity)
    if new.group_by is not None:
        merged = replace(merged, group_by=new.group_by)
    if new.top_n is not None:
        merged = replace(merged, top_n=new.top_n)
    if new.bucket is not None:
        merged = replace(merged, bucket=new.bucket)
    return merged
