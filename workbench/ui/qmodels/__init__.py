"""Qt item models over the engine's plain Python objects."""
