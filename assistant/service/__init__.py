"""Penny as a service: the scheduler `penny serve` runs, and the status it reports."""
