"""`penny sync`: pull every declared source once, incrementally, then allocate what changed."""
