"""Custom Rasa NLU components. Runs in the engine environment (Python 3.10, Rasa 3.6)."""
