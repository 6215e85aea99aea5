"""Offline embeddings, the Chroma index of knowledge docs and warehouse names, and
entity resolution ("the recommender" -> recsys-api)."""
