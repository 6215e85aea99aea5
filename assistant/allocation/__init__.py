"""Allocation: the cloud bill spread over containers, idle and unallocated, OpenCost semantics."""

from assistant.allocation.allocate import AllocationReport, MonthReconciliation, allocate

__all__ = ["AllocationReport", "MonthReconciliation", "allocate"]
