"""Allocation: the cloud bill spread over containers, idle and unallocated, OpenCost semantics."""
