"""jiesu (接诉): the core package shared by actions, adapters, console and CLI."""
