"""What a person sees outside the TUI (issue 14): next steps first, an action for every failure, honest fix
outcomes, a report and --help that hold up."""
from __future__ import annotations

import re

import pytest

import scenarios
from harness import validate


def plain(sb, *args, **kw):
    return sb.doctor("--plain", *args, **kw)


def test_rancher_desktop_on_moby_leads_with_the_root_cause(sandbox):
    scenarios.rd_broken(sandbox)
    doc = sandbox.doctor_json()
    steps = doc["next_steps"]
    assert steps[0]["check"] == "rd.engine" and steps[0]["fix"] == "rd.use-containerd"
    bad = [c["id"] for c in doc["checks"] if c["status"] in ("fail", "error")]
    explained = [s["check"] for s in steps] + [x for s in steps for x in s["explains"]]
    assert sorted(explained) == sorted(bad)  # every fail/error explained by exactly one step
    assert all(f["id"] != "buildkit.install" for c in doc["checks"] for f in c["fixes"])
    out = plain(sandbox).stdout
    body = out.split("\n", 2)[2]
    assert body.startswith("Next steps, in this order:\n  1. [rd.engine]")


def test_plain_debian_12_host_every_failure_has_a_step_for_this_release(sandbox):
    scenarios.no_buildkit(sandbox)
    doc = sandbox.doctor_json("--mode", "rootful")
    steps = {s["check"]: s for s in doc["next_steps"]}
    assert "`sudo systemctl enable --now containerd`" in steps["containerd.socket"]["text"]
    assert steps["tilt.installed"]["text"].startswith("install Tilt")
    install = next(f for c in doc["checks"] for f in c["fixes"] if f["id"] == "buildkit.install")
    text = install["steps"][0]["text"]
    assert "apt-get install buildkit" not in text and "debian 12 has no buildkit package" in text
    sandbox.write("/etc/os-release", 'ID=debian\nVERSION_ID="13"\n')
    doc = sandbox.doctor_json("--mode", "rootful")
    install = next(f for c in doc["checks"] for f in c["fixes"] if f["id"] == "buildkit.install")
    assert "`sudo apt-get install buildkit`" in install["steps"][0]["text"]


def test_nerdctl_missing_has_advice(sandbox):
    doc = sandbox.doctor_json("--mode", "rootful")
    step = next(s for s in doc["next_steps"] if s["check"] == "nerdctl.installed")
    assert step["fix"] is None and "nerdctl-full bundle" in step["text"]


def test_advice_only_fix_prints_its_text_and_exits_0(sandbox):
    scenarios.no_buildkit(sandbox)
    cp = sandbox.doctor("fix", "buildkit.install", "--yes", "--mode", "rootful")
    assert cp.returncode == 0, cp.stderr
    assert "nerdctl-full bundle" in cp.stdout and "systemctl enable --now buildkit" in cp.stdout
    assert "applied" not in cp.stdout.lower() and "problem remains" not in cp.stdout
    cp = sandbox.doctor("fix", "buildkit.install", "--mode", "rootful")  # no --yes, no terminal: no question
    assert cp.returncode == 0 and "[y/N]" not in cp.stderr


def test_add_path_says_what_is_left_to_do(sandbox):
    rd = sandbox.home / ".rd" / "bin"
    sandbox.install("nerdctl", where=rd)
    sandbox.script("rdctl", "exit 1\n", where=rd)
    sandbox.write(f"{sandbox.home}/.config/rancher-desktop/settings.json", '{"containerEngine": {"name": "containerd"}}')
    cp = sandbox.doctor("fix", "rd.add-path", "--yes", "--mode", "rootful")
    assert "open a new terminal" in cp.stdout and "What is left for you to do" in cp.stdout, cp.stdout


def test_plain_report_folds_skips_and_counts_what_it_flags(sandbox):
    out = plain(sandbox, "--mode", "rootful").stdout
    lines = out.splitlines()
    check_lines = [ln for ln in lines if re.match(r"  \[.\] ", ln)]
    assert not any(ln.startswith("  [-] nerdctl.version") for ln in check_lines)  # folded under its cause
    assert "(skipped because of this: nerdctl.version)" in out
    flagged = [ln for ln in check_lines if ln.startswith(("  [✗]", "  [?]"))]
    assert f"{len(flagged)} check(s) with fail/error" in out
    assert "-v shows the evidence" in out
    vout = plain(sandbox, "--mode", "rootful", "-v").stdout
    assert "-v shows the evidence" not in vout and "  [-] nerdctl.version" in vout
    assert re.search(r"^ +PATH:$", vout, re.M) and "{" not in vout.split("Summary:")[0].split("Next steps")[0][200:]


def test_strict_with_only_warnings_has_a_footer(sandbox):
    cp = plain(sandbox, "--only", "nerdctl.config", "--mode", "rootful", "--strict")
    assert cp.returncode == 1 and "1 check(s) with fail/error/warn (--strict)" in cp.stdout


def test_comma_lists_unknown_command_and_empty_namespace(sandbox):
    doc = sandbox.doctor_json("--only", "buildkit,tilt")
    assert {c["category"] for c in doc["checks"]} == {"buildkit", "tilt"}
    cp = sandbox.doctor("fxi")
    assert cp.returncode == 2 and "unknown command 'fxi'" in cp.stderr and "fix, build, tilt-extension" in cp.stderr
    cp = sandbox.doctor("--namespace", "")
    assert cp.returncode == 2 and "not a valid containerd namespace" in cp.stderr
    assert "Traceback" not in cp.stderr


@pytest.mark.parametrize("argv", [["--help"], ["fix", "--help"], ["build", "--help"], ["tilt-extension", "--help"]])
def test_help_explains_every_option_with_examples_and_exit_codes(sandbox, argv):
    cp = sandbox.doctor(*argv)
    assert cp.returncode == 0
    text = cp.stdout
    if argv[0] != "tilt-extension":
        assert "exit codes:" in text and "130" in text and "examples:" in text
    # an option argparse prints alone on its line has its help on the next (indented) line, or it has none
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        if re.fullmatch(r"  -{1,2}[\w-]+( [A-Z_|.]+)?(, -{1,2}[\w-]+( [A-Z_|.]+)?)?", ln) and "--help" not in ln:
            assert i + 1 < len(lines) and lines[i + 1].startswith(" " * 10), f"no help for {ln.strip()}"
    if argv == ["fix", "--help"]:
        assert "nerdctl-doctor --plain" in text  # how to see the fixes on offer


def test_json_next_steps_validate(sandbox):
    doc = sandbox.doctor_json()
    validate(doc)
    assert doc["next_steps"] and all(s["text"] for s in doc["next_steps"])
