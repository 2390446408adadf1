"""One module per command, each with ``run(argv) -> int`` (pre-commit's layout). They share options through
``nerdctl_doctor.options`` and never import each other."""
