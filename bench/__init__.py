"""`make bench`: measured performance of Penny's warehouse paths (see docs/benchmarks.md)."""
