"""Intent and slot recognition for the offline engine, accounting for every word.

``recognise`` turns a question into a :class:`Parsed`: the intent (an :class:`Intent`),
its slots (periods, names, bill values, grouping, count, unit) and the words nothing
explained (``slots.unmapped``) or that matched a name only weakly (``slots.weak``). The
engine answers only a fully understood question; otherwise it says what it understood,
what it could not map, and the nearest questions it can answer (docs/offline-engine.md).

Order: periods own their words, then a unit phrase ("per 1k requests"), then names
written out (warehouse names, bill values and aliases; the longest wins), then group words
and counts; cue phrases mark the rest with the intents they fit; leftover phrases are
resolved by fuzzy and semantic matching. The intent comes from the cues in a fixed order
of precedence. A follow-up ("and in September?", "break that down by pod") takes the
previous turn's intent and slots and replaces only what it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise

from assistant.agent.offline import rules
from assistant.agent.offline.entities import EntityFinder
from assistant.agent.offline.intent import Intent
from assistant.agent.offline.periods import Period, find_periods
from assistant.agent.offline.reading import Reading
from assistant.agent.offline.refs import EntityRef, Hit
from assistant.agent.offline.vocabulary import CUES
from assistant.core.timestamps import hour_utc
from assistant.windows import Window

__all__ = ["INTENTS", "EntityRef", "Intent", "Parsed", "Slots", "recognise"]

INTENTS = tuple(Intent)


@dataclass(frozen=True)
class Slots:
    window: Window | None = None  # the period (compare: the earlier one)
    window_b: Window | None = None  # compare: the later period
    group_by: str | None = None  # query_costs dimension, or "bill:<bill_costs dimension>"
    top_n: int | None = None
    entity: EntityRef | None = None
    periods: tuple[str, ...] = ()  # the period phrases as written
    entity_b: EntityRef | None = None  # entity_compare: the second entity ("A vs B")
    bucket: str | None = None  # day | week | month, when the question names one
    provider: str | None = None  # ai_spend: openai | anthropic, when the question names one
    bill: tuple[EntityRef, ...] = ()  # bill values named: service, category, provider, …
    unit: str | None = None  # unit cost: request | token | gpu-hour | transaction | …
    unit_scale: int = 1  # "per 1k requests" = 1000
    rank: str | None = None  # most | least: "which team grew the most"
    all_data: bool = False  # "across all our data"
    topic: str | None = None  # savings: commitment | spot | both
    resource: str | None = None  # resource_cost: cpu | ram | gpu | pv | lb
    change: bool = False  # resource_cost: how it changed ("did GPU spend go up in Nov?")
    notes: tuple[str, ...] = ()  # how words were read: typos, anchored windows
    unmapped: tuple[str, ...] = ()  # words nothing explained, as written
    weak: tuple[EntityRef, ...] = ()  # names matched too weakly to filter by


@dataclass(frozen=True)
class Parsed:
    intent: Intent
    slots: Slots = field(default_factory=Slots)
    followup: bool = False

    @property
    def understood(self) -> bool:
        """Every word accounted for, and a question type to answer it with."""
        return self.intent is not Intent.UNKNOWN and not self.slots.unmapped and not self.slots.weak


def _choose(hits: list[Hit], reading: Reading, hint: str | None) -> list[EntityRef]:
    """Names written out, longest first; a kind word beside one decides between kinds."""

    def rank(h: Hit) -> tuple[int, int, int, int]:
        near = reading.text.lower()[max(0, h.start - 12) : h.end + 12]
        hinted = 0 if rules.kind_near(near) == h.ref.kind else 1
        alias = 0 if h.ref.how in ("alias", "missing") else 1
        return (-(h.end - h.start), hinted, alias, rules.kind_order(h.ref.kind))

    chosen: list[EntityRef] = []
    for h in sorted(hits, key=rank):
        if reading.free(h.start, h.end):
            reading.claim(h.start, h.end, "name")
            chosen.append(h.ref)
    order = {id(r): i for i, r in enumerate(chosen)}
    starts = {id(h.ref): h.start for h in hits}
    return sorted(chosen, key=lambda r: (starts.get(id(r), 0), order[id(r)]))


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        for i in range(s, e):
            chars[i] = " "
    return "".join(chars)


def recognise(
    question: str,
    now: datetime,
    lookup: EntityFinder,
    previous: Parsed | None = None,
    *,
    data_end: datetime | None = None,
) -> Parsed:
    """Intent and slots for ``question``; ``previous`` is the thread's last understood turn;
    ``data_end`` (the hour after the last data) anchors rolling windows."""
    text = question.strip().replace("\u2019", "'").replace("\u2018", "'")
    lowered = text.lower()
    periods = find_periods(text, now, future=rules.is_future(lowered), data_end=data_end)
    reading = Reading(text)
    for p in periods:
        reading.claim(p.start, p.end, "period")
    unit = rules.unit(lowered)
    if unit is not None:
        reading.claim(unit.start, unit.end, "unit")
    hint = rules.kind_hint(_blank(lowered, [(p.start, p.end) for p in periods]))
    names = _choose(lookup.hits(text), reading, hint)
    entities = [n for n in names if not n.is_bill]
    bills = tuple(n for n in names if n.is_bill)
    top_n, top_span = rules.top_n(lowered)
    if top_span is not None:
        reading.claim(*top_span, "count")
    for s, e in rules.group_word_spans(lowered):
        reading.claim(s, e, "kind")
    reading.mark_cues()
    weak: list[EntityRef] = []
    notes = [_period_note(p) for p in periods if p.typo or p.anchored]
    for start, end, phrase in _phrases(reading):
        found = lookup.resolve(phrase, hint)
        if found is not None and lookup.is_weak(found):
            weak.append(found)
        elif found is not None and not entities:
            entities.append(found)
            reading.claim(start, end, "name")
        elif (
            found is None
            and not entities
            and " " not in phrase
            and hint in rules.CHECKABLE
            and rules.beside_kind(lowered, start, end, hint)
        ):
            # "team xyz": a name of a known kind that matches nothing. Passed on as written
            # so the tool says it does not exist and suggests the closest names.
            entities.append(EntityRef(phrase, hint, {hint: phrase}, "unresolved", 0.0, phrase))
            reading.claim(start, end, "name")
    entity = entities[0] if entities else None
    blanked = " ".join(
        _blank(lowered, [(p.start, p.end) for p in periods] + _name_spans(reading)).split()
    )
    pair = rules.pair(entities, blanked, text, periods, lookup)
    intent = (
        Intent.ENTITY_COMPARE
        if pair
        else rules.classify(blanked, entity is not None, len(periods), bills, unit is not None)
    )
    if entity is None and not pair:
        # a word another question type uses may still be a name here ("the recommender")
        found = _name_in_unmapped(reading, lookup, hint, intent or Intent.UNKNOWN)
        if found is not None:
            entity = found
            blanked = " ".join(
                _blank(lowered, [(p.start, p.end) for p in periods] + _name_spans(reading)).split()
            )
            intent = rules.classify(blanked, True, len(periods), bills, unit is not None)
    if pair:
        entity = pair[0]
    group_by = rules.group_by(blanked, loose=intent in (Intent.TOP, Intent.TOTAL_COST))
    change = rules.asks_change(blanked) and not rules.asks_why(blanked)
    resource = _resource(lowered, reading, intent, entity, group_by, bills, change)
    if resource is not None:
        intent, bills = Intent.RESOURCE_COST, resource[1]
        if change and not group_by:  # the change words are this plan's: a comparison
            for m in _CHANGE.pattern.finditer(lowered):
                reading.claim(m.start(), m.end(), "change")
    windows = sorted((p.window for p in periods), key=lambda w: w.start)
    slots = Slots(
        window=windows[0] if windows else None,
        window_b=windows[1] if len(windows) > 1 else None,
        group_by=group_by,
        top_n=top_n,
        entity=entity,
        periods=tuple(p.phrase for p in periods),
        entity_b=pair[1] if pair else None,
        bucket=rules.bucket(blanked),
        bill=bills,
        unit=unit.unit if unit else None,
        unit_scale=unit.scale if unit else 1,
        rank=rules.rank(blanked),
        all_data=any(p.kind == "all" for p in periods),
        topic=rules.savings_topic(blanked, bills),
        resource=resource[0] if resource else None,
        change=resource is not None and change and not group_by,
        notes=tuple(notes),
        weak=tuple(weak),
    )
    if intent is not None and entity is not None and group_by == rules.dim_of(entity.kind):
        slots = replace(slots, group_by=None)  # "the payments team" names, it does not group
    followup = rules.is_followup(blanked) and previous is not None
    if previous is not None and previous.intent not in (Intent.HELP, Intent.UNKNOWN):
        merged = _followup(previous, slots, intent, blanked, bool(periods), followup)
        if merged is not None:
            return _accounted(merged, reading)
    if intent is None:
        return Parsed(
            Intent.UNKNOWN, replace(slots, unmapped=tuple(reading.unmapped(Intent.UNKNOWN)))
        )
    if rules.refers_back(blanked) and intent in (Intent.TOP, Intent.TREND) and entity is None:
        # "break that down by pod" with nothing earlier in the conversation to break down
        nothing = ("that (nothing earlier in this conversation)",)
        return _accounted(Parsed(intent, replace(slots, unmapped=nothing)), reading)
    if intent is Intent.TOTAL_COST and group_by and not group_by.startswith("bill:"):
        intent = Intent.TOP
    if intent in (Intent.TOTAL_COST, Intent.TOP) and group_by and group_by.startswith("bill:"):
        intent = Intent.BILL_COST  # "which services cost the most": the bill's own lines
    if (
        intent is Intent.BILL
        and group_by
        and group_by.startswith("bill:")
        and not rules.asks_why(blanked)
    ):
        intent = Intent.BILL_COST  # "a breakdown of October's bill by service category"
    if (
        intent is Intent.BILL_COST
        and slots.window is not None
        and slots.window_b is None
        and rules.asks_change(blanked)
    ):
        # "did our AWS bill go down in November?": November against the month before
        slots = replace(slots, window=slots.window.previous(), window_b=slots.window)
    if intent is Intent.AI_SPEND:
        slots = replace(slots, provider=_provider(lowered))
    return _accounted(Parsed(intent, slots), reading)


#: the words of a change ("go up", "compared", "increase"): the vocabulary's own cue
_CHANGE = next(c for c in CUES if c.label == "change")

#: question types a named resource turns into its cost ("what did the ml team spend on
#: GPUs" is a cost of the team, not GPU utilization; "which team spends the most on
#: storage" ranks teams, not the bill's storage services)
_TO_RESOURCE = {
    Intent.ENTITY_COST,
    Intent.TOP,
    Intent.TOTAL_COST,
    Intent.GPU_UTILIZATION,
    Intent.BILL_COST,
}
#: resources whose organisation-wide question has its own answer: GPUs (utilization and
#: GPU cost) and storage (the bill's storage services, not only volumes pods mounted)
_OWN_ANSWER = {"gpu", "pv"}


def _resource(
    lowered: str,
    reading: Reading,
    intent: Intent | None,
    entity: EntityRef | None,
    group_by: str | None,
    bills: tuple[EntityRef, ...],
    change: bool = False,
) -> tuple[str, tuple[EntityRef, ...]] | None:
    """(resource, the bill values left) when the question asks one cost column of a team,
    namespace, app, workload, node or cluster, ranked by a grouping, or of everything;
    the resource's words are claimed, and a bill alias they were read as ("storage": the
    Storage category) is dropped."""
    found = rules.resource(lowered)
    # how one resource's cost changed, of a name or of everything (not ranked by a group):
    # "did GPU spend go up in November?" is not GPU utilization nor a total's comparison
    changed = change and group_by is None and intent in (*_TO_RESOURCE, Intent.COMPARE)
    if found is None or (intent not in _TO_RESOURCE and not changed):
        return None
    name, spans = found
    pattern = dict(rules.RESOURCES)[name]
    left = tuple(b for b in bills if not re.fullmatch(pattern, (b.phrase or b.name).lower()))
    named = entity is not None and not entity.is_bill
    grouped = group_by is not None and not group_by.startswith("bill:")
    everything = (
        entity is None and not group_by and not left and (changed or name not in _OWN_ANSWER)
    )
    if left or not (named or grouped or everything):
        return None
    for s, e in spans:
        reading.claim(s, e, "resource")
    return name, left


def _provider(text: str) -> str | None:
    """The AI provider a question names ("spend on OpenAI", "Claude costs"), if exactly one."""
    named = {
        name
        for name, pattern in (
            ("openai", r"\b(?:openai|gpt[\w.-]*|chatgpt)\b"),
            ("anthropic", r"\b(?:anthropic|claude)\b"),
        )
        if re.search(pattern, text)
    }
    return named.pop() if len(named) == 1 else None


def _phrases(reading: Reading) -> list[tuple[int, int, str]]:
    """Leftover phrases to resolve as names: each run whole when its words are adjacent,
    else word by word ("jjjj much did the stroefront" is two candidates, not one)."""
    out: list[tuple[int, int, str]] = []
    for run in reading.runs():
        spans = [(s, e) for w, s, e in reading.words if run.start <= s and e <= run.end]
        spans = [(s, e) for s, e in spans if reading.text[s:e].lower() in run.words]
        contiguous = len(run.words) == 1 or all(
            reading.text[a[1] : b[0]].strip(" -_.'") == "" for a, b in pairwise(spans)
        )
        if contiguous:
            out.append((run.start, run.end, run.text))
        else:
            out += [(s, e, reading.text[s:e]) for s, e in spans]
    return out


def _name_in_unmapped(
    reading: Reading, lookup: EntityFinder, hint: str | None, intent: Intent
) -> EntityRef | None:
    for start, end in reading.unmapped_spans(intent):
        found = lookup.resolve(reading.text[start:end], hint)
        if found is not None and not lookup.is_weak(found):
            reading.claim(start, end, "name")
            return found
    return None


def _name_spans(reading: Reading) -> list[tuple[int, int]]:
    return [
        (s, e) for (_, s, e), o in zip(reading.words, reading.owner, strict=True) if o == "name"
    ]


def _period_note(p: Period) -> str:
    if p.typo:
        return f'I read "{p.phrase}" as {p.window.label()} ({p.typo.capitalize()}).'
    return (
        f'Your data ends {hour_utc(p.window.end)}, so I read "{p.phrase}" as the '
        f"{p.window.days:g} days before that."
    )


def _accounted(parsed: Parsed, reading: Reading) -> Parsed:
    """The words and names the chosen intent leaves unexplained, added to ``unmapped``."""
    s = parsed.slots
    unmapped = list(reading.unmapped(parsed.intent))
    unmapped += rules.unused(parsed.intent, s.entity, s.bill, s.group_by, s.unit)
    if not rules.uses_group(parsed.intent):
        parsed = replace(parsed, slots=replace(s, group_by=None))
        s = parsed.slots
    unmapped = [*s.unmapped, *unmapped]
    if not unmapped and not s.weak:
        return parsed
    seen: list[str] = []
    for u in unmapped:
        if u not in seen:
            seen.append(u)
    return replace(parsed, slots=replace(s, unmapped=tuple(seen)))


def _followup(
    previous: Parsed,
    slots: Slots,
    intent: Intent | None,
    blanked: str,
    has_period: bool,
    followup_words: bool,
) -> Parsed | None:
    """The previous turn with what this one names replaced, when this one is a follow-up."""
    old = previous.slots
    if old.window is not None and not has_period and rules.BEFORE.search(blanked):
        # "and the week before?": the previous period moved back (a comparison: both)
        slots = replace(slots, window=old.window if old.window_b else old.window.previous())
        has_period = True
    refers_back = rules.refers_back(blanked)
    if followup_words and intent is Intent.BILL_COST and previous.intent is Intent.BILL_COST:
        return Parsed(previous.intent, _merge(old, slots), followup=True)  # "what about S3?"
    if (
        followup_words
        and intent is Intent.TOP
        and slots.group_by
        and previous.intent in (Intent.COMPARE, Intent.BILL_COST, Intent.TREND)
    ):
        # "and by namespace?" after a ranking of the change: the same question, regrouped
        return Parsed(previous.intent, _merge(old, slots), followup=True)
    if intent is None or (followup_words and intent in (Intent.ENTITY_COST, Intent.TOTAL_COST)):
        if slots.window or slots.entity or slots.group_by or slots.top_n or followup_words:
            return Parsed(previous.intent, _merge(old, slots), followup=True)
        return None
    if refers_back and intent in (Intent.TOP, Intent.TREND) and slots.entity is None:
        # "break that down by pod": the previous entity and period, a new grouping
        merged = _merge(old, replace(slots, bill=slots.bill or old.bill))
        return Parsed(intent, replace(merged, group_by=slots.group_by), followup=True)
    return None


def _merge(old: Slots, new: Slots) -> Slots:
    """The previous slots with whatever the follow-up names replacing them."""
    merged = replace(old, unmapped=new.unmapped, weak=new.weak, notes=new.notes)
    if new.window is not None:
        if old.window_b is not None and new.window_b is None:
            # "and in September?" after a comparison: compare September with its predecessor
            merged = replace(merged, window=new.window.previous(), window_b=new.window)
        else:
            merged = replace(merged, window=new.window, window_b=new.window_b)
        merged = replace(merged, periods=new.periods, all_data=new.all_data)
    if new.entity is not None:
        merged = replace(merged, entity=new.entity)
    if new.bill:
        merged = replace(merged, bill=new.bill)
    for name in ("group_by", "top_n", "bucket", "unit", "rank", "resource"):
        value = getattr(new, name)
        if value is not None:
            merged = replace(merged, **{name: value})
    return merged
