"""The web app: the staff console and the resident web chat."""
