"""Fix steps and the one applier that performs them (SPEC section 5)."""
