"""Evals: questions over the demo warehouse with independently computed expected facts."""
