"""Reading allocated costs: grouping, filtering, sharing, totals."""
