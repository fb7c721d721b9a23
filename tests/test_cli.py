"""The `psa` command as agencies and CI use it: exit codes, output formats, init, schema, probe."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ROOT, VALID_RADIO, make_tone, run_psa

BROKEN = Path("tests/broken/schema-mistakes/psa.yaml")


@pytest.mark.media
def test_all_sample_projects_are_valid(sample_projects: Path) -> None:
    result = run_psa("validate", "projects/", cwd=sample_projects)
    assert result.code == 0, result.stdout
    manifests = sorted(ROOT.glob("projects/*/psa.yaml"))
    assert len(manifests) >= 4
    assert f"{len(manifests)} of {len(manifests)} manifest(s) valid; 0 errors, 0 warnings" in result.stdout


@pytest.mark.media
def test_junit_output_has_one_case_per_manifest_and_check(sample_projects: Path) -> None:
    result = run_psa("validate", "--format", "junit", "projects/", ROOT / BROKEN, cwd=sample_projects)
    assert result.code == 1
    root = ET.fromstring(result.stdout.split("\n", 1)[1])
    suites = root.findall("testsuite")
    assert len(suites) == len(list(ROOT.glob("projects/*/psa.yaml"))) + 1
    broken = next(s for s in suites if s.get("name") == str(ROOT / BROKEN))
    # a schema-broken manifest still has the files it names checked, in the same run
    assert [c.get("name") for c in broken.findall("testcase")] == ["schema", "assets"]
    failure = broken.find("testcase/failure")
    assert failure is not None and "did you mean 'title'" in (failure.text or "")
    assert int(root.get("failures", "0")) == 2  # schema, and assets: its media file is missing
    valid = suites[0]
    names = [c.get("name") for c in valid.findall("testcase")]
    assert names[:4] == ["schema", "rules", "channels", "assets"] and "duration" in names
    assert all(c.find("failure") is None for c in valid.findall("testcase"))


def test_github_output_is_one_annotation_per_problem() -> None:
    result = run_psa("validate", "--format", "github", BROKEN)
    assert result.code == 1
    lines = result.stdout.strip().splitlines()
    pattern = re.compile(r"^::(error|warning) file=[^,:]+,line=\d+,col=\d+,title=[^:]+::\S.*$")
    assert lines and all(pattern.match(line) for line in lines), lines
    assert f"::error file={BROKEN},line=6,col=1," in result.stdout


def test_json_output_is_machine_readable(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run_psa("validate", "--format", "json", "-o", out, BROKEN)
    assert result.code == 1
    data = json.loads(out.read_text())
    assert data["valid"] is False
    (manifest,) = data["manifests"]
    assert {"severity": "error", "line": 6, "column": 1} | {"check": "schema"} in [
        {k: p[k] for k in ("severity", "line", "column", "check")} for p in manifest["problems"]
    ]


def test_usage_errors_exit_2() -> None:
    assert run_psa("validate", "no/such/folder").code == 2
    assert run_psa("validate", "--format", "xml", "projects/").code == 2
    assert run_psa("validate", "tests/broken/cross-field/subtitles").code == 2  # a folder with no psa.yaml


def test_help_teaches_the_commands() -> None:
    result = run_psa("validate", "--help")
    assert result.code == 0 and "psa validate --format junit -o report.xml projects/" in result.stdout


@pytest.mark.media
def test_init_scaffolds_a_project_that_only_lacks_its_media(tmp_path: Path) -> None:
    folder = tmp_path / "projects" / "Dinas Baru"
    (tmp_path / "assets" / "jingles").mkdir(parents=True)
    make_tone(tmp_path / "assets" / "jingles" / "lapor-intro.wav")
    for kind in ("video", "radio-drama"):
        target = folder.with_name(f"{folder.name} {kind}")
        result = run_psa("init", target, "--kind", kind)
        assert result.code == 0, result.stderr
        assert (target / "media").is_dir() and (target / "subtitles").is_dir()
        text = (target / "psa.yaml").read_text()
        assert text.startswith("# yaml-language-server: $schema=")
        assert f"id: dinas-baru-{kind}" in text
        check = run_psa("validate", target)
        errors = [line for line in check.stdout.splitlines() if ": error: " in line]
        assert errors and all("does not exist" in line for line in errors), check.stdout
    again = run_psa("init", folder.with_name(f"{folder.name} video"), "--kind", "video")
    assert again.code == 1 and "already exists" in again.stderr


def test_the_committed_schema_matches_the_code() -> None:
    result = run_psa("schema")
    assert result.code == 0
    assert json.loads(result.stdout) == json.loads((ROOT / "schema" / "psa.schema.json").read_text()), (
        "schema/psa.schema.json is stale: run `make schema`"
    )


@pytest.mark.media
def test_probe_reports_the_loudness_of_a_tone_of_known_level(tmp_path: Path) -> None:
    # A 997 Hz sine at -20 dBFS peak in both channels measures -20.0 LUFS (ITU-R BS.1770).
    tone = make_tone(tmp_path / "tone.wav", seconds=5.0, amplitude=0.1)
    result = run_psa("probe", "--json", tone)
    assert result.code == 0
    data = json.loads(result.stdout)
    assert data["loudness"]["integrated_lufs"] == pytest.approx(-20.0, abs=0.1)
    assert data["loudness"]["true_peak_dbtp"] == pytest.approx(-20.0, abs=0.1)
    assert data["streams"][0]["sample_rate"] == 48000


@pytest.mark.media
def test_probe_agrees_with_ffmpeg_loudnorm_measurement(tmp_path: Path) -> None:
    import subprocess

    tone = make_tone(tmp_path / "tone.wav", seconds=5.0, amplitude=0.3)
    completed = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(tone), "-af", "loudnorm=print_format=json", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    loudnorm = json.loads(completed.stderr[completed.stderr.rindex("{") :])
    data = json.loads(run_psa("probe", "--json", tone).stdout)
    assert data["loudness"]["integrated_lufs"] == pytest.approx(float(loudnorm["input_i"]), abs=0.1)


@pytest.mark.media
def test_probe_of_silence_says_so(tmp_path: Path) -> None:
    silence = make_tone(tmp_path / "silence.wav", amplitude=0.0)
    result = run_psa("probe", silence)
    assert result.code == 0 and "-inf (silence)" in result.stdout


@pytest.mark.media
def test_probe_of_a_broken_file_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    result = run_psa("probe", bad)
    assert result.code == 1 and result.stderr.startswith("psa: error: ") and len(result.stderr.splitlines()) == 1


@pytest.mark.media
def test_validate_valid_manifest_exit_0(project: Callable[[str], Path]) -> None:
    manifest = project(VALID_RADIO)
    make_tone(manifest.parent / "media" / "spot.wav")
    result = run_psa("validate", manifest)
    assert result.code == 0 and "1 of 1 manifest(s) valid" in result.stdout
