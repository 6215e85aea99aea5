"""Accounting for every word of a question: who claimed it, and what is left over.

A :class:`Reading` holds the question's words. Periods, names, group words, counts and
unit phrases *own* their words; cue phrases mark the words they match with the intents
they fit; filler words need nothing. Once the intent is chosen, :meth:`unmapped` lists the
words nothing accounted for (or only a cue of another intent): the answer says them back
instead of answering a different question.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.agent.offline.entities import words
from assistant.agent.offline.intent import Intent
from assistant.agent.offline.vocabulary import CUES, FILLER

__all__ = ["Reading", "Run"]


@dataclass(frozen=True)
class Run:
    """Consecutive unclaimed content words (filler between them allowed)."""

    start: int
    end: int
    text: str
    words: tuple[str, ...]


@dataclass
class Reading:
    text: str
    words: list[tuple[str, int, int]] = field(init=False)
    owner: list[str | None] = field(init=False)
    cues: list[set[Intent]] = field(init=False)
    labels: list[set[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.words = words(self.text)
        self.owner = [None] * len(self.words)
        self.cues = [set() for _ in self.words]
        self.labels = [set() for _ in self.words]

    def _overlapping(self, start: int, end: int) -> list[int]:
        return [i for i, (_, s, e) in enumerate(self.words) if s < end and start < e]

    def free(self, start: int, end: int) -> bool:
        return all(self.owner[i] is None for i in self._overlapping(start, end))

    def claim(self, start: int, end: int, owner: str) -> None:
        for i in self._overlapping(start, end):
            self.owner[i] = self.owner[i] or owner

    def mark_cues(self) -> None:
        """Mark every cue match on words no period, name or unit owns (a kind word or a
        count may be part of a cue: "no team label", "top 5")."""
        lowered = self.text.lower()
        for cue in CUES:
            for m in cue.pattern.finditer(lowered):
                idx = self._overlapping(*m.span())
                if idx and all(self.owner[i] in (None, "kind", "count") for i in idx):
                    for i in idx:
                        self.cues[i] |= cue.intents
                        self.labels[i].add(cue.label)

    def runs(self) -> list[Run]:
        """Unowned words no cue or filler explains, grouped into phrases (≤ 4 words)."""
        out: list[Run] = []
        cur: list[int] = []

        def flush() -> None:
            if cur:
                s, e = self.words[cur[0]][1], self.words[cur[-1]][2]
                out.append(Run(s, e, self.text[s:e], tuple(self.words[i][0] for i in cur)))
                cur.clear()

        for i, (w, _, _) in enumerate(self.words):
            if self.owner[i] is not None or self.cues[i] or w.isdigit():
                flush()
            elif w in FILLER:
                continue  # "the" inside "the storefront team" does not split the phrase
            else:
                cur.append(i)
                if len(cur) == 4:
                    flush()
        flush()
        return out

    def unmapped_spans(self, intent: Intent) -> list[tuple[int, int]]:
        """Spans of the words nothing accounted for; adjacent words form one phrase."""
        out: list[tuple[int, int]] = []
        prev = -2
        for i, (w, s, e) in enumerate(self.words):
            if self.owner[i] is not None or w in FILLER:
                continue
            if self.cues[i] and intent in self.cues[i]:
                continue
            if out and i == prev + 1:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
            prev = i
        return out

    def unmapped(self, intent: Intent) -> list[str]:
        """Words nothing accounted for, as written, in order (phrases kept together)."""
        return [self.text[s:e] for s, e in self.unmapped_spans(intent)]
