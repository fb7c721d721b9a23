"""CI for agencies: the pre-commit hook and the GitHub/GitLab templates, run for real against sample projects.

The templates are parsed and every `psa` command in them is run as written in a copy of an agency
repository; the steps that install ffmpeg and psa need the network and are only checked to be there.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from helpers import ROOT

GITHUB = ROOT / "ci" / "github" / "psa-validate.yml"
GITLAB = ROOT / "ci" / "gitlab" / "psa-validate.gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent


def agency_repo(sample_projects: Path, target: Path, broken: bool = False) -> Path:
    """A git repository like an agency's: one PSA project and the shared assets, committed."""
    shutil.copytree(sample_projects / "assets", target / "assets")
    name = "diskominfo-kaltim-lapor-masuk-desa"
    shutil.copytree(sample_projects / "projects" / name, target / "projects" / name)
    if broken:
        manifest = target / "projects" / name / "psa.yaml"
        manifest.write_text(
            manifest.read_text(encoding="utf-8").replace("language: ", "languag: ", 1), encoding="utf-8"
        )
    git(target, "init", "-q")
    git(target, "add", "-A")
    git(target, "-c", "user.name=Tim Media", "-c", "user.email=media@example.go.id", "commit", "-qm", "ILM")
    return target


def typo_line(repo: Path) -> int:
    text = (repo / "projects" / "diskominfo-kaltim-lapor-masuk-desa" / "psa.yaml").read_text(encoding="utf-8")
    return next(n for n, line in enumerate(text.splitlines(), start=1) if line.startswith("languag:"))


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def environment(tmp_path: Path) -> dict[str, str]:
    # The installed `psa` first on PATH, as after `pipx install`; pre-commit's cache in the test's folder.
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "PSA_LANG": "id",
    }


def run_step(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_hook_definition_is_what_pre_commit_expects() -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert hook["id"] == "psa-validate" and hook["entry"].split()[:2] == ["psa", "validate"]
    assert hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    assert pattern.search("projects/a/psa.yaml") and pattern.search("projects/a/subtitles/ind.srt")
    assert not pattern.search("README.md")


@pytest.mark.media
@pytest.mark.parametrize("broken", [False, True])
def test_pre_commit_try_repo_validates_an_agency_repository(
    sample_projects: Path, tmp_path: Path, broken: bool
) -> None:
    repo = agency_repo(sample_projects, tmp_path / "repo", broken)
    # The hook file as it is in this worktree, committed (try-repo reads committed files only).
    hooks = tmp_path / "psa-pipeline"
    hooks.mkdir()
    shutil.copy(HOOKS, hooks / HOOKS.name)
    git(hooks, "init", "-q")
    git(hooks, "add", "-A")
    git(hooks, "-c", "user.name=Kominfosantik", "-c", "user.email=ci@example.go.id", "commit", "-qm", "hooks")
    result = subprocess.run(
        [str(BIN / "pre-commit"), "try-repo", str(hooks), "psa-validate", "--all-files", "--verbose"],
        cwd=repo, env=environment(tmp_path), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    if broken:
        assert result.returncode == 1, output
        assert (
            f"psa.yaml:{typo_line(repo)}:1: kesalahan: kunci 'languag' tidak dikenal; maksud Anda 'language'?" in output
        )
    else:
        assert result.returncode == 0, output
        assert "Passed" in output and "1 dari 1 manifest sah" in output


def _github_steps() -> list[dict[str, str]]:
    workflow = yaml.safe_load(GITHUB.read_text(encoding="utf-8"))
    assert set(workflow[True]) == {"push", "pull_request"}  # YAML 1.1 reads the key `on` as true
    (job,) = workflow["jobs"].values()
    steps: list[dict[str, str]] = job["steps"]
    return steps


@pytest.mark.media
@pytest.mark.parametrize("broken", [False, True])
def test_the_github_workflow_annotates_and_writes_junit(sample_projects: Path, tmp_path: Path, broken: bool) -> None:
    repo = agency_repo(sample_projects, tmp_path / "repo", broken)
    steps = _github_steps()
    assert any(s.get("with", {}).get("lfs") is True for s in steps if s.get("uses", "").startswith("actions/checkout"))  # type: ignore[union-attr]
    install = next(s for s in steps if "pipx install" in s.get("run", ""))
    assert "ffmpeg" in install["run"]
    psa_steps = [s for s in steps if s.get("run", "").startswith("psa ")]
    assert len(psa_steps) == 2
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    env = environment(tmp_path)
    codes = [run_step(s["run"], repo, env) for s in psa_steps]
    annotations = codes[0].stdout
    if broken:
        assert [c.returncode for c in codes] == [1, 1]
        line = typo_line(repo)
        assert f"::error file=projects/diskominfo-kaltim-lapor-masuk-desa/psa.yaml,line={line},col=1," in annotations
    else:
        assert [c.returncode for c in codes] == [0, 0] and annotations.strip() == ""
    report = ET.parse(repo / upload["with"]["path"]).getroot()  # type: ignore[index]
    assert int(report.get("failures", "-1")) == (1 if broken else 0)


@pytest.mark.media
def test_the_gitlab_template_writes_the_junit_report_it_declares(sample_projects: Path, tmp_path: Path) -> None:
    repo = agency_repo(sample_projects, tmp_path / "repo", broken=True)
    (job,) = yaml.safe_load(GITLAB.read_text(encoding="utf-8")).values()
    assert any("ffmpeg" in line for line in job["before_script"])
    assert any("pip install" in line for line in job["before_script"])
    assert job["artifacts"]["when"] == "always"
    env = {**environment(tmp_path), **{k: str(v) for k, v in job["variables"].items()}}
    script = [run_step(line, repo, env) for line in job["script"]]
    assert [r.returncode for r in script] == [1]
    after = [run_step(line, repo, env) for line in job["after_script"]]
    assert [r.returncode for r in after] == [0]
    assert "kunci 'languag' tidak dikenal" in after[0].stdout
    junit = repo / job["artifacts"]["reports"]["junit"]
    suite = ET.parse(junit).getroot()
    assert int(suite.get("failures", "-1")) == 1
    assert all(shlex.split(line)[0] in {"psa", "apt-get", "pip"} for line in job["script"] + job["before_script"][1:])
