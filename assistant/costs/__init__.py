"""Reading allocated costs: grouping, filtering, sharing, totals."""

from assistant.costs.query import CostRow, CostTable, query_costs

__all__ = ["CostRow", "CostTable", "query_costs"]
