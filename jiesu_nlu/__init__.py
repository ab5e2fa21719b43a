"""Custom Rasa NLU components. Runs in the engine environment (Python 3.10, Rasa 3.6)."""

from jiesu_nlu.action_validation import install as _install_action_validation

# Rasa imports this package when it loads the model (the pipeline's components live
# here), in every server process and Sanic worker: the one place to apply it.
_install_action_validation()
