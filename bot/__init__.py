"""Channel adapters and the gateway every channel calls."""
