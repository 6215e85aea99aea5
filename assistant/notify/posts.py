"""The record of what Penny posted unasked: each notice once per channel, across restarts.

A notice is *claimed* (a ``posting`` row) in one ledger transaction before it is sent, and
marked ``posted`` with its Slack ts after. A send that failed is marked ``failed`` and
claimed again at the next look, so a Slack outage delays a notice instead of losing it. A
row left ``posting`` by a process that died mid-send is never retried: whether Slack got
the message is unknown, and a missed digest is better than a doubled alert. ``skipped``
records a notice deliberately not sent (a lower threshold passed in the same look as a
higher one), so it is not sent later either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from assistant.config import Settings
from assistant.warehouse.ledger import ledger, read_ledger

__all__ = ["Post", "PostLog"]


@dataclass(frozen=True)
class Post:
    kind: str
    key: str
    channel: str
    status: str
    ts: str | None
    attempts: int
    error: str | None
    summary: str | None


class PostLog:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def settled(self, kind: str, key: str, channel: str) -> bool:
        """Posted, being posted, or skipped: nothing more to do for this notice."""
        rows = read_ledger(
            self.settings,
            "SELECT status FROM slack_posts WHERE kind = ? AND key = ? AND channel = ?",
            [kind, key, channel],
        )
        return bool(rows) and rows[0][0] != "failed"

    def claim(self, kind: str, key: str, channel: str, now: datetime) -> bool:
        """True when this notice is ours to send now (new, or failed before)."""
        with ledger(self.settings) as con:
            row = con.execute(
                "SELECT status FROM slack_posts WHERE kind = ? AND key = ? AND channel = ?",
                [kind, key, channel],
            ).fetchone()
            if row is None:
                con.execute(
                    "INSERT INTO slack_posts (kind, key, channel, status, claimed_at, attempts) "
                    "VALUES (?, ?, ?, 'posting', ?, 1)",
                    [kind, key, channel, now],
                )
                return True
            if row[0] != "failed":
                return False
            con.execute(
                "UPDATE slack_posts SET status = 'posting', claimed_at = ?, "
                "attempts = attempts + 1 WHERE kind = ? AND key = ? AND channel = ?",
                [now, kind, key, channel],
            )
            return True

    def _finish(
        self,
        kind: str,
        key: str,
        channel: str,
        status: str,
        now: datetime,
        *,
        ts: str | None = None,
        error: str | None = None,
        summary: str | None = None,
    ) -> None:
        with ledger(self.settings) as con:
            con.execute(
                "UPDATE slack_posts SET status = ?, ts = ?, posted_at = ?, error = ?, "
                "summary = ? WHERE kind = ? AND key = ? AND channel = ?",
                [status, ts, now, error, summary, kind, key, channel],
            )

    def posted(
        self, kind: str, key: str, channel: str, ts: str, summary: str, now: datetime
    ) -> None:
        self._finish(kind, key, channel, "posted", now, ts=ts, summary=summary[:500])

    def failed(self, kind: str, key: str, channel: str, error: str, now: datetime) -> None:
        self._finish(kind, key, channel, "failed", now, error=error[:1000])

    def skip(self, kind: str, key: str, channel: str, reason: str, now: datetime) -> None:
        """Record a notice as settled without sending it (claimed or not)."""
        if self.claim(kind, key, channel, now):
            self._finish(kind, key, channel, "skipped", now, summary=reason[:500])

    def find(self, kind: str | None = None, channel: str | None = None) -> list[Post]:
        where: list[str] = []
        params: list[object] = []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if channel:
            where.append("channel = ?")
            params.append(channel)
        rows = read_ledger(
            self.settings,
            "SELECT kind, key, channel, status, ts, attempts, error, summary FROM slack_posts"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY claimed_at, kind, key, channel",
            params,
        )
        return [_post(r) for r in rows]


def _post(r: tuple[object, ...]) -> Post:
    text = [None if v is None else str(v) for v in r]
    return Post(
        kind=str(r[0]),
        key=str(r[1]),
        channel=str(r[2]),
        status=str(r[3]),
        ts=text[4],
        attempts=int(str(r[5])),
        error=text[6],
        summary=text[7],
    )
