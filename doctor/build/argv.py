"""The build backend's options and the exact nerdctl command line it runs."""
from __future__ import annotations

import argparse
import os

from ..options import EXIT_CODES_HELP, add_common, help_formatter

EPILOG = """examples:
  EXPECTED_REF=app:dev nerdctl-doctor build .                 what Tilt runs (it sets EXPECTED_REF)
  nerdctl-doctor build --ref app:dev -f docker/Dockerfile .   a Dockerfile outside the context
  nerdctl-doctor build --ref app:dev --dry-run .              print the nerdctl command, run nothing

"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nerdctl-doctor build",
        description="Build an image for Tilt with nerdctl: diagnose first (instead of `exit status 127` or `no "
                    "buildkit host is available`), build, verify the image is in the namespace, and load it into "
                    "kind, k3d or minikube.",
        epilog=EPILOG + EXIT_CODES_HELP, formatter_class=help_formatter)
    p.add_argument("context", metavar="CONTEXT", help="the build context directory")
    p.add_argument("--ref", help="image reference to build (default $EXPECTED_REF, which Tilt sets)")
    p.add_argument("--build-arg", action="append", default=[], metavar="K=V", help="a build argument (repeatable)")
    p.add_argument("-f", "--file", metavar="FILE", help="the Dockerfile, relative to the current directory")
    p.add_argument("--dockerfile-contents-env", metavar="VAR",
                   help="read the Dockerfile text from env VAR and give it to nerdctl on stdin (-f -)")
    p.add_argument("--target", help="the build stage to build")
    p.add_argument("--ssh", action="append", default=[], help="an SSH agent socket or key to expose (repeatable)")
    p.add_argument("--secret", action="append", default=[], help="a secret for the build (repeatable)")
    p.add_argument("--extra-tag", action="append", default=[], metavar="TAG", help="another tag (repeatable)")
    p.add_argument("--cache-from", action="append", default=[], metavar="C", help="an external cache (repeatable)")
    p.add_argument("--platform", help="the target platform (e.g. linux/amd64)")
    p.add_argument("--buildkit-host", metavar="H", help="the BuildKit daemon nerdctl must use")
    p.add_argument("--address", metavar="A", help="containerd address for nerdctl")
    p.add_argument("--dry-run", action="store_true", help="print the nerdctl argv and exit")
    p.add_argument("--no-preflight", action="store_true", help="do not diagnose before building")
    p.add_argument("--no-verify", action="store_true", help="do not check that the image landed in the namespace")
    p.add_argument("--load", choices=("auto", "none"), default="auto",
                   help="auto: load the image into a kind, k3d or minikube cluster of the current context")
    add_common(p)
    return p


def parse(argv: list[str]) -> argparse.Namespace:
    """The build's options. The CONTEXT comes last (as Tilt's argv list passes it) and may start with `-`
    (`nerdctl-doctor build -app`): a last argument that is no option of ours is the context, never a flag."""
    p = parser()
    argv = list(argv)
    if argv and argv[-1].startswith("-") and argv[-1] != "-" and "--" not in argv:
        flag = argv[-1].split("=", 1)[0]
        takes_value = len(argv) > 1 and argv[-2] in p._option_string_actions and \
            p._option_string_actions[argv[-2]].nargs != 0
        if flag not in p._option_string_actions and not takes_value:
            argv = [*argv[:-1], "--", argv[-1]]
    return p.parse_args(argv)


def context_arg(context: str) -> str:
    """A CONTEXT starting with '-' is passed as ./-..., never as a flag."""
    return "./" + context if context.startswith("-") else context


def nerdctl_argv(args: argparse.Namespace, ref: str, namespace: str, dockerfile: str | None = None) -> list[str]:
    """``dockerfile``: where the Dockerfile text was written instead of stdin (Windows: never `-f -`)."""
    argv = ["nerdctl"]
    if args.address:
        argv += ["--address", args.address]
    argv += ["--namespace", namespace, "build"]
    if args.buildkit_host is not None:
        argv += ["--buildkit-host", args.buildkit_host]
    for ba in args.build_arg:
        argv += ["--build-arg", ba]
    if args.dockerfile_contents_env:
        argv += ["-f", dockerfile or "-"]
    elif args.file:
        argv += ["-f", args.file]
    if args.target:
        argv += ["--target", args.target]
    for s in args.ssh:
        argv += ["--ssh", s]
    for s in args.secret:
        argv += ["--secret", s]
    if args.platform:
        argv += ["--platform", args.platform]
    for t in args.extra_tag:
        argv += ["-t", t]
    for c in args.cache_from:
        argv += ["--cache-from", c]
    argv += ["-t", ref, context_arg(args.context)]
    return argv


def dockerfile_for(args: argparse.Namespace, context: str | None = None) -> str | None:
    """The Dockerfile nerdctl will use: -f relative to the current directory; else CONTEXT/Dockerfile, else
    CONTEXT/Containerfile (Dockerfile wins when both exist). ``context``: where the context is opened here."""
    if args.dockerfile_contents_env:
        return None
    if args.file:
        return os.path.abspath(args.file)
    for name in ("Dockerfile", "Containerfile"):
        p = os.path.join(context or os.path.abspath(args.context), name)
        if os.path.exists(p):
            return p
    return None
