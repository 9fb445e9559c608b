"""The headless engine: data, models, freezing, training, metrics, runs. No Qt here."""
