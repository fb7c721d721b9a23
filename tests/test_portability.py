"""Agencies' own computers: `psa init`, `psa validate` and `psa probe` must not need a POSIX-only module.

Windows has no fcntl, pwd, grp, termios or resource. The test runs psa in a child process where those
modules cannot be imported (as on Windows) and records any attempt made from psa's own code, so a
module-level `import fcntl` anywhere on these commands' import path fails here, not on a laptop.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import ROOT, make_tone

POSIX_ONLY = ("fcntl", "pwd", "grp", "termios", "resource", "posix", "_posixshmem", "syslog")

BOOT = textwrap.dedent(
    """
    import importlib.abc, json, os, sys, traceback
    BLOCKED = set(json.loads(os.environ["BLOCKED"]))
    attempts = []

    class NoPosix(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] not in BLOCKED:
                return None
            # The module whose `import` statement this is: the stdlib may probe a POSIX module on POSIX
            # (it has Windows branches of its own); psa's code may not.
            importer = [f.filename for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename][-1]
            if "psa_pipeline" in importer:
                attempts.append(name + " from " + importer)
            raise ImportError(f"{name} does not exist on Windows")

    for name in list(sys.modules):  # loaded at start-up by the interpreter: import them afresh, through the finder
        if name.split(".")[0] in BLOCKED:  # os keeps its own reference to posix (nt on Windows)
            del sys.modules[name]
    sys.meta_path.insert(0, NoPosix())
    from psa_pipeline.cli import invoke
    code = invoke(sys.argv[1:])
    print(json.dumps({"code": code, "attempts": attempts}), file=sys.stderr)
    """
)


def run_without_posix(*args: str | Path) -> tuple[int, list[str], str]:
    completed = subprocess.run(
        [sys.executable, "-c", BOOT, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
        env={**__import__("os").environ, "BLOCKED": json.dumps(POSIX_ONLY)},
    )
    last = json.loads(completed.stderr.strip().splitlines()[-1])
    return last["code"], last["attempts"], completed.stdout + completed.stderr


def test_init_and_validate_import_nothing_posix_only(tmp_path: Path) -> None:
    folder = tmp_path / "Proyek ILM"
    code, attempts, output = run_without_posix("init", folder, "--kind", "radio-drama")
    assert (code, attempts) == (0, []), output
    code, attempts, output = run_without_posix("validate", folder)
    assert code == 1 and attempts == [], output  # the media are not there yet: problems, not a crash
    assert "does not exist" in output and "Traceback" not in output
    code, attempts, output = run_without_posix("validate", "--format", "junit", "-o", tmp_path / "r.xml", folder)
    assert code == 1 and attempts == [] and (tmp_path / "r.xml").is_file(), output


@pytest.mark.media
def test_probe_imports_nothing_posix_only(tmp_path: Path) -> None:
    wav = make_tone(tmp_path / "nada.wav", seconds=1.0)
    code, attempts, output = run_without_posix("probe", wav)
    assert (code, attempts) == (0, []), output
    assert "LUFS" in output


def test_the_blocker_catches_a_posix_only_import(tmp_path: Path) -> None:
    # The test above must be able to fail: a psa module that imports fcntl is caught.
    module = ROOT / "psa_pipeline" / "core" / "_posix_probe_for_test.py"
    module.write_text("import fcntl  # noqa\n", encoding="utf-8")
    try:
        completed = subprocess.run(
            [sys.executable, "-c", BOOT.replace("from psa_pipeline.cli import invoke",
                                                "import psa_pipeline.core._posix_probe_for_test\nfrom psa_pipeline.cli import invoke"),
             "--version"],
            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
            env={**__import__("os").environ, "BLOCKED": json.dumps(POSIX_ONLY)},
        )  # fmt: skip
    finally:
        module.unlink()
    assert "fcntl does not exist on Windows" in completed.stderr
