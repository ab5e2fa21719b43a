"""Human handoff (人工接管): conversations handed to staff, their replies, notes and hand-back."""
