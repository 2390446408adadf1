"""Facts about BuildKit shared by the checks and the build backend: probing and parsing (probe.py), daemons and
units (units.py), buildkitd.toml (config.py). Verdicts are the checks' (checks/buildkit.py)."""
