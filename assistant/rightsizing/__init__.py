"""Rightsizing recommendations, GPU waste and reviewable change drafts."""
