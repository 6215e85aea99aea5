"""The words the offline engine knows, and which question types each belongs to.

Every content word of a question must be accounted for (docs/offline-engine.md): by a
period, a name, a filler word, or a cue of the question type that answers it. A cue is a
phrase pattern with the intents it fits; a word matched only by cues of *other* intents
is said back to the asker as not understood, never silently dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.agent.offline.intent import Intent

__all__ = ["ALL", "BILL_ALIASES", "CUES", "FILLER", "GROUP_WORDS", "UNIT_WORDS", "Cue"]

I = Intent  # noqa: E741 - short alias for the tables below
ALL = frozenset(Intent) - {I.UNKNOWN}
_COSTS = ALL - {I.HELP}

#: words that carry no meaning of their own in a cost question
_FILLER_WORDS = """
a about actually again all already also am an and any anything are around as at be been
being both but by can could currently did do does doing done exactly for from get gets got
getting give go going had has have having here hey hi how i if in into is it its just kindly
know let like look me mine my of on only or our ours out over please pls really right s say
see show so some tell than thank thanks that the their them then there these they thing
things this those through to too us want was we were what whats when where which while who
whom with within would you your yours t d ll ve re m roughly approximately approx overall
whole entire full each every per we've weve let's lets kind sort quick quickly number
numbers figure figures amount amounts value much many list find need between up down more
less before after since until use used using usage month months week weeks day days year
years quarter quarters period periods time date dates one ones hows often still yet now
anyway should can may might must shall far
"""
FILLER = frozenset(_FILLER_WORDS.split())


@dataclass(frozen=True)
class Cue:
    pattern: re.Pattern[str]
    intents: frozenset[Intent]
    label: str


def _cue(pattern: str, intents: frozenset[Intent] | set[Intent], label: str) -> Cue:
    return Cue(re.compile(rf"\b(?:{pattern})\b"), frozenset(intents), label)


_FUTURE = (
    r"will|going to|gonna|forecast\w*|project(?:ed|ion|ions)?|expect(?:ed)?|predict\w*|"
    r"estimate[sd]?|run[- ]rate|end of (?:the )?month|month[- ]end|on track|trending toward"
)

#: phrases and the intents they fit; matched on the lowercased question
CUES: list[Cue] = [
    # generic cost words fit every cost question
    _cue(
        r"cost(?:s|ing|ed)?|spend(?:s|ing)?|spent|pay(?:s|ing)?|paid|charged?|charges|price[sd]?|"
        r"pricing|expens(?:e|es|ive)|dollars?|money|bucks|total(?:s|led)?|sum|how much|"
        r"burn(?:ing|ed)?|burn rate|outlay|cost us|set us back|opex|expenditures?|"
        r"cloud spend|amorti[sz]ed|effective cost|billed cost|list cost",
        _COSTS,
        "cost",
    ),
    _cue(
        r"cloud|kubernetes|k8s|infra(?:structure)?|aws|the company|org(?:anisation|anization)?",
        ALL,
        "context",
    ),
    # help
    _cue(
        r"help|what (?:can|do) you (?:do|answer|know)|what questions|what can i ask|how do i use|"
        r"examples?|capabilities",
        {I.HELP},
        "help",
    ),
    # anomalies
    _cue(
        r"anomal\w*|unusual|spikes?|spiked|spiking|weird|strange|odd|unexpected|outliers?|"
        r"surprising|surprises?|jumps?|jumped",
        {I.ANOMALIES, I.COMPARE},
        "anomalies",
    ),
    # GPUs
    _cue(
        r"gpus?|gpu[- ]hours?|graphics cards?|accelerators?",
        {I.GPU_UTILIZATION, I.IDLE_GPUS, I.UNIT_COST},
        "gpu",
    ),
    _cue(
        r"utili[sz](?:ation|ed|e)|busy|activity|active",
        {I.GPU_UTILIZATION, I.IDLE_GPUS, I.SAVINGS, I.UNIT_COST, I.AI_SPEND},
        "utilisation",
    ),
    _cue(
        r"idle|unused|wasted?|wasting|sitting|doing nothing|not used|underused|"
        r"under[- ]?utili[sz]ed|unutili[sz]ed",
        {I.IDLE, I.IDLE_GPUS, I.RIGHTSIZING, I.SAVINGS, I.ORPHANS},
        "idle",
    ),
    _cue(
        r"capacity|resources?|nodes? capacity",
        {I.IDLE, I.IDLE_GPUS, I.RIGHTSIZING, I.ORPHANS},
        "capacity",
    ),
    # AI APIs
    _cue(
        r"ai|llms?|openai|anthropic|claude|gpt[\w.-]*|chatgpt|tokens?|"
        r"(?:model|api|llm) (?:calls?|spend|usage|costs?|requests?|queries)|api calls?|apis|"
        r"penny'?s?(?: own)?|(?:your|its) own|yourself|own",
        {I.AI_SPEND},
        "ai",
    ),
    # rightsizing
    _cue(
        r"right[- ]?siz\w*|over[- ]?provision\w*|oversized|over[- ]?sized|downsiz\w*|shrink|"
        r"resize|requests? (?:are |is )?too (?:high|big)|requests?|limits?|cut|reduce|lower|"
        r"optimi[sz]\w*|efficien\w*|inefficien\w*|where can we|should (?:we|i)|could (?:we|i)|"
        r"recommend(?:ation|ations|ed)?|suggest(?:ion|ions|ed)?|opportunit\w*|improve",
        {I.RIGHTSIZING},
        "rightsizing",
    ),
    _cue(
        r"save|saves|saved|saving|savings|discounts?|discounted", {I.RIGHTSIZING, I.SAVINGS}, "save"
    ),
    # labels
    _cue(
        r"(?:no|without|missing|lacking)(?: a)? (?:team )?(?:labels?|tags?)|(?:no|without|missing) "
        r"(?:a )?team|unlabel+ed|untagged|not (?:labell?ed|tagged)|labels?|tags?|tagged|labell?ed|"
        r"share|fraction|portion|percent(?:age)?|proportion",
        {I.UNLABELED, I.IDLE},
        "labels",
    ),
    _cue(
        r"unallocated|not allocated|unattributed|no workload explains|can'?t be (?:allocated|"
        r"attributed)|allocat\w*|attribut\w*",
        {I.UNALLOCATED, I.ENTITY_COST, I.TOTAL_COST, I.TOP},
        "unallocated",
    ),
    # the bill and why it changed
    _cue(r"bills?|invoices?|invoiced|billing|billed", _COSTS, "bill"),
    _cue(
        r"why|explain\w*|what drove|drivers?|driven|caus\w*|reasons?|what happened|what changed|"
        r"because|account for|breakdown of (?:the )?bill",
        {I.BILL, I.COMPARE, I.ENTITY_COMPARE},
        "why",
    ),
    # change over time
    _cue(
        r"compare[sd]?|comparing|comparison|vs\.?|versus|against|compared|difference|diff|"
        r"change[sd]?|changing|go(?:ne)? (?:up|down)|goes (?:up|down)|went (?:up|down)|"
        r"increas\w*|decreas\w*|grow\w*|grew|rise|rises|rising|rose|fell|fall|falling|drop\w*|"
        r"higher|lower|month[- ]over[- ]month|week[- ]over[- ]week|mom|wow|"
        r"delta|growth|previous|prior|earlier|fast(?:er|est)|quick(?:er|est)|slow(?:er|est)",
        {I.COMPARE, I.ENTITY_COMPARE, I.BILL, I.TREND, I.ANOMALIES},
        "change",
    ),
    _cue(
        r"daily|weekly|monthly|trend(?:s|ed|ing)?|over time|time series|timeline|history|"
        r"(?:day|week|month)[- ]by[- ](?:day|week|month)|"
        r"(?:per|each|every|by|a) (?:day|week|month)|"
        r"(?:day|week|month) (?:by|per) (?:day|week|month)|series",
        {I.TREND, I.ENTITY_COMPARE, I.BILL_COST, I.FORECAST},
        "trend",
    ),
    # rankings
    _cue(
        r"top|biggest|largest|most|highest|least|lowest|smallest|cheapest|costliest|"
        r"most expensive|rank\w*|break ?(?:it |that |this )?down|broken down|breakdown|split|"
        r"group(?:ed)?|which|who|whose|what are|list|largest|leading|main|major|heaviest",
        {
            I.TOP,
            I.COMPARE,
            I.BILL_COST,
            I.TREND,
            I.ENTITY_COST,
            I.TOTAL_COST,
            I.RIGHTSIZING,
            I.ORPHANS,
            I.BILL,
        },
        "rank",
    ),
    # commitments and spot
    _cue(
        r"savings? plans?|reserved instances?|reservations?|ris?|commit(?:ted|ments?)?|"
        r"committed use|cuds?|coverage|covered|utili[sz]ation|unused commitments?|"
        r"list price|on[- ]demand price|vs list|against list",
        {I.SAVINGS, I.BILL_COST},
        "commitment",
    ),
    # forecasts and budgets
    _cue(
        _FUTURE + r"|next month|rest of (?:the )?month|by the end|full month|whole month|land|"
        r"burn[- ]rate|rate",
        {I.FORECAST, I.BUDGET},
        "forecast",
    ),
    _cue(
        r"budgets?|over budget|under budget|within budget|remaining|left|headroom|limit|"
        r"target|allowance|exceed\w*|overspen\w*|overrun\w*",
        {I.BUDGET},
        "budget",
    ),
    # orphans
    _cue(
        r"orphan(?:s|ed)?|unattached|detached|dangling|abandoned|leftover|left over|forgotten|"
        r"unmounted|not mounted|nobody uses|no one uses|"
        r"still (?:being )?(?:billed|charged|paying|paid)|volumes?|disks?|pvcs?|pvs?|"
        r"persistent volumes?|claims?|load balancers?",
        {I.ORPHANS, I.BILL_COST},
        "orphans",
    ),
]
#: one resource's cost is an entity's cost, a ranking or a total read by one column: the
#: words that fit those fit it
CUES = [
    replace(c, intents=c.intents | {I.RESOURCE_COST})
    if c.intents & {I.ENTITY_COST, I.TOP, I.TOTAL_COST}
    else c
    for c in CUES
]

#: group-by words -> query_costs dimension (allocation) or bill_costs dimension ("bill:")
GROUP_WORDS: list[tuple[str, str]] = [
    (r"cost[- ]?cent(?:er|re)s?", "cost_center"),
    (r"namespaces?|ns", "namespace"),
    (r"teams?|squads?|groups?", "team"),
    (r"apps?|applications?", "app"),
    (
        r"workloads?|deployments?|controllers?|jobs?|cronjobs?|statefulsets?|daemonsets?",
        "controller",
    ),
    (r"nodes?|machines?|instances?|vms?", "node"),
    (r"clusters?", "cluster"),
    (r"pods?", "pod"),
    (r"containers?", "container"),
    (r"env(?:ironment)?s?", "env"),
    (r"charge (?:categor(?:y|ies)|types?)|charge types?", "bill:charge_category"),
    (r"pricing (?:categor(?:y|ies)|models?|types?)|purchase options?", "bill:pricing_category"),
    (r"service categor(?:y|ies)|categor(?:y|ies)", "bill:service_category"),
    (r"(?:cloud |aws |bill )?services?|products?", "bill:service"),
    (r"providers?|clouds?|vendors?", "bill:provider"),
    (r"sub[- ]?accounts?|linked accounts?|projects?|subscriptions?", "bill:sub_account"),
    (r"(?:billing )?accounts?|payer accounts?", "bill:billing_account"),
    (r"regions?|locations?", "bill:region"),
    (r"resource types?", "bill:resource_type"),
]

#: unit-cost phrases: "per request", "per 1k requests", "per million tokens", "per GPU-hour"
UNIT_WORDS: dict[str, str] = {
    r"requests?|reqs?|calls?|hits?|queries|query": "request",
    r"tokens?": "token",
    r"gpu[- ]?hours?": "gpu-hour",
    r"transactions?|orders?|checkouts?": "transaction",
    r"users?|customers?|sessions?": "user",
    r"messages?|events?": "event",
}

#: provider-neutral names people use for bill lines:
#: (phrase, dimension, pattern over the dimension's values, what to call it when absent)
BILL_ALIASES: list[tuple[str, str, str, str]] = [
    (
        r"s3|object storage|buckets?|blob storage|cloud storage",
        "service",
        r"Simple Storage Service|\bS3\b|Blob Storage|Cloud Storage",
        "object storage (S3)",
    ),
    (
        r"ec2|virtual machines?|compute engine",
        "service",
        r"Elastic Compute Cloud|Virtual Machines|Compute Engine",
        "virtual machines (EC2)",
    ),
    (
        r"eks(?: control planes?)?|aks|gke|control planes?|kubernetes (?:service|engine|control "
        r"planes?)|managed kubernetes|cluster fees?",
        "service",
        r"Kubernetes",
        "the managed Kubernetes control plane",
    ),
    (
        r"data transfer|egress|bandwidth|network transfer|data out|internet traffic",
        "service",
        r"Data Transfer|Bandwidth|Egress",
        "data transfer",
    ),
    (r"load balanc(?:er|ers|ing)|elbs?|albs?|nlbs?", "service", r"Load Balanc", "load balancing"),
    (
        r"vpc|virtual private cloud|virtual network",
        "service",
        r"Virtual Private Cloud|Virtual Network|VPC",
        "the virtual network (VPC)",
    ),
    (r"nat(?: gateways?)?|nat gw", "resource_type", r"NAT", "NAT gateways"),
    (
        r"ebs|block storage|volumes?|disks?|persistent disks?",
        "resource_type",
        r"Volume|Disk",
        "volumes",
    ),
    (r"storage", "service_category", r"^Storage$", "storage"),
    (r"compute", "service_category", r"^Compute$", "compute"),
    (r"networking|network", "service_category", r"^Network", "networking"),
    (r"databases?", "service_category", r"^Databases?$", "databases"),
    (r"tax|taxes|vat|sales tax", "charge_category", r"^Tax$", "tax"),
    (r"credits?|promotional credits?|promo credits?", "charge_category", r"^Credit$", "credits"),
    (
        r"refunds?|adjustments?|corrections?",
        "charge_category",
        r"^Adjustment$",
        "refunds and adjustments",
    ),
    (r"purchases?|upfront (?:fees?|payments?)", "charge_category", r"^Purchase$", "purchases"),
    (
        r"spot(?: instances?| nodes?| capacity| usage| pricing)?",
        "pricing_category",
        r"^Dynamic$",
        "spot",
    ),
    (
        r"on[- ]demand(?: instances?| nodes?| usage| pricing)?",
        "pricing_category",
        r"^Standard$",
        "on-demand",
    ),
    (r"amazon|aws", "provider", r"AWS|Amazon", "AWS"),
    (r"azure|microsoft", "provider", r"Azure|Microsoft", "Azure"),
    (r"gcp|google cloud|google", "provider", r"Google|GCP", "Google Cloud"),
]
