"""The simulated organisation behind `penny demo`."""
