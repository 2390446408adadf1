"""The stand-ins against the real programs: each transcript in tests/upstream/buildkit-v0.32.2 (what the real
buildctl and buildkitd v0.32.2 printed against a real containerd) is replayed against the stand-ins in the same
situation, and stdout, stderr and the exit code must be the same bytes, paths aside. Parsers are tested on the
transcripts themselves."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import Sandbox

UPSTREAM = Path(__file__).parent.parent / "upstream" / "buildkit-v0.32.2"
UUID = "f31c8d45-cc9e-4656-a3bc-a9cf39d6e0ca"


def transcript(name: str) -> tuple[list[str], str, str, int]:
    text = (UPSTREAM / name).read_text()
    cmd = text.splitlines()[0][2:]
    out = text[text.index("--- stdout ---\n") + 15:text.index("--- stderr ---")]
    err_start = text.index("--- stderr ---") + len("--- stderr ---\n")
    err = text[err_start:text.index("--- exit code:")]
    code = int(text[text.index("--- exit code:") + 14:].split("---")[0])
    argv = shlex.split(cmd)
    while argv[0] in ("timeout", "setpriv"):
        argv = argv[2:] if argv[0] == "timeout" else argv[4:]
    return argv, out, err, code


@pytest.fixture
def sb():
    s = Sandbox()
    s.install("buildctl")
    s.install("buildkitd")
    try:
        yield s
    finally:
        s.cleanup()


def daemon(sb: Sandbox, ids: list[str], *flags: str, path: str = "/run/buildkit/buildkitd.sock") -> None:
    sb.start_buildkitd(*flags, addr=f"unix://{path}",
                       env={"STANDIN_CONTAINERD_UUID": UUID, "STANDIN_HOSTNAME": "vm",
                            "STANDIN_WORKER_IDS": ",".join(ids)})


def replay(sb: Sandbox, name: str, env: dict | None = None, prefix: list[str] | None = None) -> None:
    argv, want_out, want_err, want_code = transcript(name)
    root = str(sb.root)
    tool = Path(argv[0]).name
    real = [str(sb.bin / tool)]
    for a in argv[1:]:
        for scheme in ("unix://", ""):
            if a.startswith(scheme + "/run/") or (a.startswith("--addr=unix:///") and scheme == "unix://"):
                a = a.replace("/run/", root + "/run/", 1)
        real.append(a)
    e = {**sb.env, **(env or {})}
    cp = subprocess.run([*(prefix or []), *real], capture_output=True, text=True, env=e, timeout=60)
    got_out, got_err = cp.stdout.replace(root, ""), cp.stderr.replace(root, "")
    assert (got_out, got_err, cp.returncode) == (want_out, want_err, want_code), name


K8S = ["--oci-worker=false", "--containerd-worker=true", "--containerd-worker-namespace=k8s.io"]


@pytest.mark.parametrize("name", ["01-buildctl-version.txt", "01b-buildctl-dash-v.txt", "02-buildkitd-version.txt"])
def test_versions(sb, name):
    replay(sb, name)


def test_old_client_version_format_and_errors(sb):
    old = {"STANDIN_BUILDCTL_VERSION": "v0.9.3"}
    replay(sb, "70-buildctl093-version.txt", old)
    replay(sb, "73-buildctl093-missing-socket.txt", old)
    daemon(sb, ["skyydpgymkk2w149zdxhsa900"], *K8S)
    replay(sb, "71-buildctl093-workers-format.txt", old)
    replay(sb, "72-buildctl093-workers-v.txt", old)


def test_containerd_worker_k8s_every_output_format(sb):
    daemon(sb, ["xqrydvvyx70kg4hn5gt4lml5o"], *K8S)
    for name in ("11-i-workers-plain.txt", "12-i-workers-v.txt", "13-i-workers-json.txt", "14-format-json-alias.txt",
                 "15-format-old-style-dot-ID.txt", "16-format-range-ID.txt", "17-format-malformed.txt",
                 "18-format-table-style.txt", "19-format-lowercase-labels-field.txt", "19b-format-equals-form.txt"):
        replay(sb, name)


def test_oci_worker_only(sb):
    daemon(sb, ["bu542jd4kh08phvc7wbkbtrqc"], "--oci-worker=true", "--containerd-worker=false")
    for name in ("31-ii-workers-plain.txt", "32-ii-workers-v.txt", "33-ii-workers-json.txt"):
        replay(sb, name)


def test_both_workers_on_auto_oci_is_the_default(sb):
    os.symlink(shutil.which("runc") or "/usr/sbin/runc", sb.bin / "runc")  # auto enables OCI when runc is on PATH
    daemon(sb, ["rcl9flegc7xkhn3stxfbyupw9", "hjws10mye9gwnhrvhql547th6"],
           "--containerd-worker-addr", "/run/containerd/containerd.sock")
    for name in ("37-iii-both-auto-workers-plain.txt", "38-iii-both-auto-workers-v.txt",
                 "39-iii-both-auto-workers-json.txt"):
        replay(sb, name)


def test_both_workers_forced_k8s(sb):
    daemon(sb, ["qxto8llt93acn97r1iwhocvlf", "96hji5k1lcjcs0g516aspgncr"], "--oci-worker=true",
           "--containerd-worker=true", "--containerd-worker-namespace=k8s.io")
    replay(sb, "39c-iii-both-true-k8s-workers-v.txt")


def test_containerd_worker_without_namespace_flag_is_namespace_buildkit(sb):
    daemon(sb, ["bgi72hhq5l2k1ap01nn0906lu"], "--oci-worker=false", "--containerd-worker=true")
    for name in ("41-iv-workers-plain.txt", "42-iv-workers-v.txt", "43-iv-workers-json.txt"):
        replay(sb, name)


def test_dial_errors(sb):
    base = sb.root / "run/user/1000/buildkit-test"
    base.mkdir(parents=True)
    (base / "regular.sock").write_text("")
    (base / "adir").mkdir()
    sb.dead_socket(f"{sb.root}/run/user/1000/buildkit-test/dead.sock")
    for name in ("20-err-missing-socket.txt", "20b-err-missing-dir.txt", "21-err-regular-file.txt",
                 "21b-err-directory.txt", "22-err-dead-socket.txt", "22b-err-dead-socket-format.txt",
                 "25-err-tcp-refused.txt", "25b-err-tcp-no-port.txt", "25c-err-bare-path.txt"):
        replay(sb, name)
    sb.dead_socket(f"{sb.root}/run/buildkit/buildkitd.sock")  # what a SIGKILLed daemon leaves behind
    replay(sb, "26-err-stale-socket-after-sigkill.txt")


def test_permission_denied(sb):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to act as nobody")
    daemon(sb, ["xqrydvvyx70kg4hn5gt4lml5o"], *K8S)
    os.chmod(sb.root / "run" / "buildkit", 0o700)
    for d in (sb.base, sb.root, sb.root / "run", sb.bin):
        os.chmod(d, 0o755)
    replay(sb, "24-err-permission-denied-as-nobody.txt",
           prefix=[shutil.which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups"])


def test_hung_daemon_gives_up_after_20s_whatever_the_timeout(sb):
    sb.hung_socket(f"{sb.root}/run/user/1000/buildkit-test/hang.sock")
    t0 = time.monotonic()
    replay(sb, "23c-err-hang-socket-timeout2.txt")
    assert 19.5 < time.monotonic() - t0 < 30


@pytest.mark.parametrize("name,toml", [
    ("60-buildkitd-malformed-toml.txt", '[worker.oci]\nsnapshotter = "over\nlayfs"\n'),
    ("61-buildkitd-toml-badbool.txt", "[worker.oci]\nenabled = fals\n"),
    ("61-buildkitd-toml-stringbool.txt", '[worker.oci]\nenabled = "false"\n'),
    ("61-buildkitd-toml-unclosed.txt", "[worker.oci\nenabled = false\n")])
def test_buildkitd_refuses_bad_configs(sb, name, toml):
    argv, _, want_err, want_code = transcript(name)
    cfg = argv[argv.index("--config") + 1]
    sb.write(cfg, toml)
    replay(sb, name, env={"STANDIN_ROOT": str(sb.root)})


def test_buildkitd_without_any_worker(sb):
    replay(sb, "63-buildkitd-no-workers.txt", env={"STANDIN_ROOT": str(sb.root)})


# ---------------------------------------------------------------------------- parsers on the real bytes


def test_worker_records_and_sharable_judgement_from_the_real_json():
    from nerdctl_doctor.buildkit.probe import LABEL

    for name, executor, ns in (("13-i-workers-json.txt", "containerd", "k8s.io"), ("33-ii-workers-json.txt", "oci", None),
                               ("39-iii-both-auto-workers-json.txt", "oci", None),
                               ("43-iv-workers-json.txt", "containerd", "buildkit")):
        _, out, _, _ = transcript(name)
        workers = json.loads(out)
        labels = workers[0]["labels"]
        assert labels[LABEL + "executor"] == executor and labels.get(LABEL + "containerd.namespace") == ns


@pytest.mark.parametrize("name,outcome", [
    ("20-err-missing-socket.txt", "missing"), ("21-err-regular-file.txt", "refused"),
    ("22-err-dead-socket.txt", "refused"), ("23-err-hang-socket.txt", "timeout"),
    ("24-err-permission-denied-as-nobody.txt", "permission-denied"), ("25b-err-tcp-no-port.txt", "error"),
    ("73-buildctl093-missing-socket.txt", "missing")])
def test_candidate_outcome_from_the_real_stderr(name, outcome):
    from nerdctl_doctor.buildkit.probe import classify_buildctl_error

    assert classify_buildctl_error(transcript(name)[2]) == outcome


def test_ctr_version_uuid_from_the_real_output():
    from nerdctl_doctor.facts import parse_ctr_version

    assert parse_ctr_version(transcript("03-ctr-version-c1.txt")[1]) == ("1.6.20~ds1", UUID)


@pytest.mark.parametrize("name,version", [("01-buildctl-version.txt", (0, 32, 2)), ("70-buildctl093-version.txt", (0, 9, 3))])
def test_buildctl_version_from_the_real_output(name, version):
    from nerdctl_doctor.checks._util import parse_version

    assert parse_version(transcript(name)[1]) == version
