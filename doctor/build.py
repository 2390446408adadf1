"""`nerdctl-doctor build` and `tilt-extension` (placeholder until the build backend issue lands)."""
import sys


def cmd_build(argv) -> int:
    print("nerdctl-doctor: `build` is not implemented yet", file=sys.stderr)
    return 2


def cmd_tilt_extension(argv) -> int:
    print("nerdctl-doctor: `tilt-extension` is not implemented yet", file=sys.stderr)
    return 2
