"""The month-close bill post: which month has closed, and its explanation.

A month's bill counts as closed from ``slack.bill_post.day`` (at ``hour``) of the next
month — providers settle invoices a few days after the month ends — and only once the
warehouse covers every hour of it (a bill explained on half the data would be a wrong
number, posted once and never corrected). Only the month just ended is ever posted: a
server started in mid-December posts November, never October.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.capabilities.bill import BillReport, BillRequest, bill
from assistant.capabilities.common import warehouse
from assistant.capabilities.context import Ctx
from assistant.config_slack import BillPostSettings
from assistant.windows import Window, month_window

__all__ = ["closed_bill", "data_covers", "month_to_post"]


def month_to_post(now: datetime, cfg: BillPostSettings) -> Window | None:
    """The month just ended, once ``now`` is past its closing day; else None."""
    closes = now.replace(day=cfg.day, hour=cfg.hour, minute=0, second=0, microsecond=0)
    if now < closes:
        return None
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return month_window(year, month)


def data_covers(ctx: Ctx, month: Window) -> bool:
    """Whether the warehouse holds allocations up to the month's last hour (all teams: a
    team whose workloads stopped mid-month still gets its closed bill)."""
    with warehouse(ctx) as con:
        row = con.execute(
            "SELECT max(hour) FROM allocations WHERE hour < ?", [month.end]
        ).fetchone()
    last = row[0] if row else None
    return last is not None and last + timedelta(hours=1) >= month.end


def closed_bill(ctx: Ctx, month: Window) -> BillReport | None:
    """The month's bill for the scope in ``ctx``; None while its data is incomplete."""
    if not data_covers(ctx, month):
        return None
    return bill(BillRequest(month=month.label()), ctx)
