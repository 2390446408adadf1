"""`nerdctl-doctor fix` (placeholder until the fixes issue lands)."""
import sys


def cmd_fix(argv) -> int:
    print("nerdctl-doctor: `fix` is not implemented yet", file=sys.stderr)
    return 2
