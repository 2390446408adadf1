"""Plugins through the entry-point group nerdctl_doctor.checks, and the runner's isolation of bad checks."""
import json
import textwrap
import time

from harness import validate


def make_plugin(sandbox, name, module_src, entry_points):
    """A minimal installed distribution (dist-info on PYTHONPATH) that registers entry points."""
    site = sandbox.base / "site"
    site.mkdir(exist_ok=True)
    (site / f"{name}.py").write_text(textwrap.dedent(module_src))
    di = site / f"{name}-0.1.dist-info"
    di.mkdir()
    (di / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (di / "entry_points.txt").write_text("[nerdctl_doctor.checks]\n" + "".join(f"{k} = {v}\n" for k, v in entry_points.items()))
    sandbox.env["PYTHONPATH"] = str(site)


PLUGIN = """
from nerdctl_doctor import AdviceStep, Fix, Result, check

@check("acme.registry", category="acme", title="ACME registry mirror", requires=("nerdctl.installed",))
def registry(host, deps):
    return Result.warn("mirror not configured", evidence={"nerdctl": deps["nerdctl.installed"].evidence.get("path")},
                       fixes=[Fix("acme.configure", "Configure the mirror", [AdviceStep("ask ops")])])

@check("acme.standalone", title="ACME standalone")
def standalone(host, deps):
    return Result.ok("fine, HOME is " + str(host.home))

CHECKS = [registry, standalone]

def factory():
    return [standalone.__class__("acme.factory", "acme", "from a factory", lambda h, d: Result.ok("made"))]

def crashes(host, deps):
    raise RuntimeError("boom")

def hangs(host, deps):
    import time
    time.sleep(60)
    return Result.ok("never")

def bad():
    from nerdctl_doctor import Check
    return [Check("acme.crash", "acme", "crashes", crashes), Check("acme.hang", "acme", "hangs", hangs)]
"""


def test_plugin_appears_everywhere_without_changes_here(sandbox):
    make_plugin(sandbox, "acme_plugin", PLUGIN, {"acme": "acme_plugin", "acme-factory": "acme_plugin:factory"})
    cp = sandbox.doctor("--list-checks", "--json")
    doc = validate(json.loads(cp.stdout), "list-checks")
    by = {c["id"]: c for c in doc["checks"]}
    assert by["acme.registry"]["source"] == "acme"
    assert by["acme.registry"]["requires"] == ["nerdctl.installed"]
    assert by["acme.factory"]["source"] == "acme-factory"
    # built-ins first, in their order
    assert doc["checks"][0]["id"] == "nerdctl.installed"
    sandbox.script("nerdctl", "exit 0\n")
    rep = sandbox.doctor_json("--only", "acme")
    c = sandbox.check(rep, "acme.registry")
    assert c["status"] == "warn" and c["evidence"]["nerdctl"] == str(sandbox.bin / "nerdctl")
    assert c["fixes"][0]["steps"] == [{"kind": "advice", "text": "ask ops"}]
    assert sandbox.check(rep, "acme.standalone")["summary"] == f"fine, HOME is {sandbox.home}"


def test_plugin_that_fails_to_import_is_one_error_check(sandbox):
    make_plugin(sandbox, "broken_plugin", "raise ImportError('missing dependency frobnicate')\n",
                {"broken": "broken_plugin"})
    doc = sandbox.doctor_json()
    c = sandbox.check(doc, "plugin.broken")
    assert c["status"] == "error"
    assert "broken" in c["title"] and "frobnicate" in c["summary"]
    assert sandbox.check(doc, "nerdctl.installed")["status"] == "fail"  # the others still ran
    cp = sandbox.doctor("--list-checks")
    assert cp.returncode == 0 and "plugin.broken" in cp.stdout


def test_plugin_with_duplicate_id_or_bad_items_is_an_error(sandbox):
    make_plugin(sandbox, "dup_plugin", """
from nerdctl_doctor import Check, Result
CHECKS = [Check("nerdctl.installed", "nerdctl", "impostor", lambda h, d: Result.ok("x"))]
def notchecks():
    return ["not a check"]
""", {"dup": "dup_plugin", "junk": "dup_plugin:notchecks"})
    doc = sandbox.doctor_json()
    assert sandbox.check(doc, "plugin.dup")["status"] == "error"
    assert sandbox.check(doc, "plugin.junk")["status"] == "error"
    assert sandbox.check(doc, "nerdctl.installed")["title"] == "nerdctl on PATH"


def test_crashing_and_hanging_checks_are_errors_and_bounded(sandbox):
    make_plugin(sandbox, "bad_plugin", PLUGIN, {"bad": "bad_plugin:bad"})
    t0 = time.monotonic()
    doc = sandbox.doctor_json("--timeout", "1", "--only", "acme", "--only", "nerdctl.installed")
    elapsed = time.monotonic() - t0
    crash = sandbox.check(doc, "acme.crash")
    assert crash["status"] == "error" and "boom" in crash["summary"]
    hang = sandbox.check(doc, "acme.hang")
    assert hang["status"] == "error" and "timeout" in hang["summary"]
    assert sandbox.check(doc, "nerdctl.installed")["status"] == "fail"
    assert elapsed < 1 + 8  # generous slack for a loaded machine; the budget itself is benchmarked


def test_the_readme_plugin_example_works_as_written(sandbox):
    """The complete example plugin in the README, copied out of it, installed, listed and run."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    src = re.search(r"```python\n(# acme_doctor\.py\n.*?)```", readme, re.S).group(1)
    eps = dict(re.findall(r'^(\w+) = "([\w.:]+)"$', re.search(r'\[project\.entry-points\."nerdctl_doctor\.checks"\]\n'
                                                            r'(.*?)```', readme, re.S).group(1), re.M))
    make_plugin(sandbox, "acme_doctor", src, eps)
    listed = json.loads(sandbox.doctor("--list-checks", "--json").stdout)
    assert {"id": "acme.mirror", "category": "acme", "title": "ACME registry mirror in nerdctl's hosts dir",
            "requires": ["nerdctl.installed"], "source": "acme"} in listed["checks"]
    sandbox.install("nerdctl")
    doc = sandbox.doctor_json("--only", "acme.mirror")
    r = next(c for c in doc["checks"] if c["id"] == "acme.mirror")
    assert r["status"] == "warn" and r["fixes"][0]["id"] == "acme.install-mirror"
    assert r["fixes"][0]["steps"][0] == {"kind": "run", "argv": ["acme-setup", "mirror"], "env": {"ACME_REGION": "eu"},
                                         "privileged": True}


# ------------------------------------------------------------------ hostile plugins (issue 22)

HOSTILE = """
import os, sys
from nerdctl_doctor import Result, check

os.write(1, b"plugin junk on fd 1 at import\\n")

@check("hostile.fd1", title="writes to fd 1")
def fd1(host, deps):
    os.write(1, b"junk from a check\\n")
    sys.__stdout__.write("more junk\\n")
    sys.__stdout__.flush()
    return Result.ok("fine")

@check("hostile.interrupt", title="raises KeyboardInterrupt")
def interrupt(host, deps):
    raise KeyboardInterrupt

@check("hostile.evidence", title="evidence with cycles and sharing")
def evidence(host, deps):
    loop = {"a": 1}
    loop["self"] = loop
    shared = [1]
    for _ in range(60):
        shared = [shared, shared]  # 2**60 paths: exponential sharing
    return Result.warn("odd evidence \\udcff", evidence={"loop": loop, "shared": shared, "lone": "\\ud800"})

class Custom(BaseException):
    pass

@check("hostile.exit", title="raises SystemExit(0)")
def exits(host, deps):
    raise SystemExit(0)

@check("hostile.generator-exit", title="raises GeneratorExit")
def generator_exit(host, deps):
    raise GeneratorExit

@check("hostile.base", title="raises a BaseException of its own")
def base(host, deps):
    raise Custom("mine")

def endless():
    while True:
        yield interrupt

CHECKS = [fd1, interrupt, exits, generator_exit, base, evidence]
"""


def test_hostile_plugins_keep_the_document_valid_and_the_run_bounded(sandbox):
    make_plugin(sandbox, "hostile", HOSTILE, {"hostile": "hostile", "endless": "hostile:endless",
                                              "builtin": "hostile"})
    import time

    t0 = time.monotonic()
    cp = sandbox.doctor("--json", "--mode", "rootful", "--timeout", "3", timeout=60)
    assert time.monotonic() - t0 < 20
    assert cp.returncode in (0, 1) and "Traceback" not in cp.stderr, cp.stderr
    doc = validate(json.loads(cp.stdout))  # stdout is the document alone: fd 1 writes went to stderr
    assert "junk" in cp.stderr
    by = {c["id"]: c for c in doc["checks"]}
    assert by["nerdctl.installed"]["source"] if "source" in by["nerdctl.installed"] else True
    for cid, name in (("hostile.interrupt", "KeyboardInterrupt"), ("hostile.exit", "SystemExit"),
                      ("hostile.generator-exit", "GeneratorExit"), ("hostile.base", "Custom")):
        assert by[cid]["status"] == "error" and name in by[cid]["summary"], by[cid]
    assert doc["exit_code"] == cp.returncode == 1  # a check's SystemExit(0) does not end the run with 0
    ev = by["hostile.evidence"]["evidence"]
    assert ev["loop"]["self"] == "(contains itself)"
    assert by["plugin.endless"]["status"] == "error" and "more than" in by["plugin.endless"]["summary"]
    reserved = [c for c in doc["checks"] if c["id"].startswith("plugin.hostile") and "builtin" in c["summary"]]
    assert reserved and reserved[0]["status"] == "error"
    assert "nerdctl.installed" in by  # the built-in checks still run, from nerdctl-doctor's own entry point
    cp = sandbox.doctor("--list-checks", "--json", timeout=60)
    assert cp.returncode == 0 and json.loads(cp.stdout)["checks"][0]["source"] == "builtin"


def test_several_hanging_plugin_imports_cost_one_timeout_together(sandbox):
    """Three plugins whose import never finishes: they import at the same time under one deadline, so the run
    ends within --timeout + 1 s (one at a time they would take three timeouts); each is one error check."""
    import time

    for n in range(3):
        make_plugin(sandbox, f"stuck{n}", "import time\ntime.sleep(300)\nCHECKS = []\n", {f"stuck{n}": f"stuck{n}"})
        sandbox.env["PYTHONPATH"] = str(sandbox.base / "site")
    t0 = time.monotonic()
    cp = sandbox.doctor("--json", "--mode", "rootful", "--timeout", "2", timeout=60)
    elapsed = time.monotonic() - t0
    doc = validate(json.loads(cp.stdout))
    stuck = [c for c in doc["checks"] if c["id"].startswith("plugin.stuck")]
    assert len(stuck) == 3 and all(c["status"] == "error" and "2s" in c["summary"] for c in stuck), stuck
    assert elapsed < 2 + 1 + 1.5, elapsed  # three timeouts one after another would be 6 s
