"""paperkg: a knowledge graph of the entities that machine-learning papers mention."""
