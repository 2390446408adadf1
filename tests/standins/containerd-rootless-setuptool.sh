#!/usr/bin/env python3
"""Stand-in for containerd-rootless-setuptool.sh (UPSTREAM.md section 5): refuses root unless STANDIN_ALLOW_ROOT=1;
`install-buildkit-containerd` writes the user unit (`NS-buildkit.service` with CONTAINERD_NAMESPACE, else
`buildkit.service`, never overwriting: `File already exists, skipping`) and starts the stand-in buildkitd with the
unit's flags; `uninstall-buildkit-containerd` stops it and removes the unit. Records argv+env to STANDIN_LOG."""
import json
import os
import signal
import subprocess
import sys

args = sys.argv[1:]
if os.environ.get("STANDIN_LOG"):
    with open(os.environ["STANDIN_LOG"], "a") as fh:
        fh.write(json.dumps({"tool": "containerd-rootless-setuptool.sh", "argv": args,
                             "env": {k: v for k, v in os.environ.items() if k.startswith("CONTAINERD_")}}) + "\n")
if os.geteuid() == 0 and os.environ.get("STANDIN_ALLOW_ROOT") != "1":
    print("[ERROR] Refusing to install rootless containerd as the root user", file=sys.stderr)
    sys.exit(1)
xdg = os.environ["XDG_RUNTIME_DIR"]
cfg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.environ["HOME"], ".config")
data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.environ["HOME"], ".local", "share")
ns = os.environ.get("CONTAINERD_NAMESPACE")
unit = f"{ns}-buildkit.service" if ns else "buildkit.service"
unit_path = os.path.join(cfg, "systemd", "user", unit)
pidfile = unit_path + ".pid"
if args[:1] == ["install-buildkit-containerd"]:
    flags = ["--oci-worker=false", "--containerd-worker=true", "--containerd-worker-rootless=true"]
    if ns:
        flags += [f"--addr=unix://{xdg}/buildkit-{ns}/buildkitd.sock", f"--root={data}/buildkit-{ns}",
                  f"--containerd-worker-namespace={ns}"]
    else:
        flags += [f"--addr=unix://{xdg}/buildkit/buildkitd.sock"]
    if os.environ.get("CONTAINERD_SNAPSHOTTER"):
        flags.append(f"--containerd-worker-snapshotter={os.environ['CONTAINERD_SNAPSHOTTER']}")
    if os.path.exists(unit_path):
        print(f"[INFO] File already exists, skipping: {unit_path}")
        sys.exit(0)
    os.makedirs(os.path.dirname(unit_path), exist_ok=True)
    with open(unit_path, "w") as fh:
        fh.write("[Service]\nExecStart=rootlesskit buildkitd " + " ".join(flags) + "\n")
    print(f"[INFO] Installed {unit}")
    bk = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "buildkitd")
    if os.path.exists(bk):
        p = subprocess.Popen([bk, *[f for f in flags if not f.startswith("--root=") and "rootless" not in f]],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        with open(pidfile, "w") as fh:
            fh.write(str(p.pid))
        sock = f"{xdg}/buildkit-{ns}/buildkitd.sock" if ns else f"{xdg}/buildkit/buildkitd.sock"
        import time
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.02)
    sys.exit(0)
if args[:1] == ["uninstall-buildkit-containerd"]:
    if os.path.exists(pidfile):
        try:
            os.kill(int(open(pidfile).read()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        os.unlink(pidfile)
    if os.path.exists(unit_path):
        os.unlink(unit_path)
    sys.exit(0)
print(f"stand-in setuptool: unsupported {args}", file=sys.stderr)
sys.exit(2)
