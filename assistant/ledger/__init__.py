"""Penny's own AI spend: price table, usage records, budget."""
