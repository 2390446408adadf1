"""The Tilt build backend (SPEC section 6), by concern: argv.py (options and nerdctl's command line),
preflight.py (what is checked before, and explained after), cache.py (the preflight cache), nerdctl.py (running
nerdctl), load.py (images into kind, k3d and minikube)."""
