"""Destination configuration is checked when the channels file is loaded: before anything is uploaded, with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakebuild import fake_psa
from helpers import run_psa

from psa_pipeline.channels.config import ConfigError, load_config
from psa_pipeline.channels.destinations import S3Destination
from psa_pipeline.core.status import Status
from psa_pipeline.publish.s3 import S3Backend

pytestmark = pytest.mark.media


def config_with(tmp_path: Path, destination: str) -> Path:
    file = tmp_path / "channels.yaml"
    file.write_text(f"# destinations of Diskominfo\ndestinations:\n  default:\n{destination}")
    return file


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{id}/{file}", "key_template must contain {channel}"),
        ("{province}/{file}", "key_template must contain {id}, {channel}"),
        ("{id}/{channel}", "key_template must contain {file}"),
        ("{id}/{channel}/{tahun}/{file}", "unknown placeholder {tahun}"),
        ("{id.upper}/{channel}/{file}", "unknown placeholder {id.upper}"),
        ("{id!r}/{channel}/{file}", "placeholder {id} must be plain"),
        ("{id:>10}/{channel}/{file}", "placeholder {id} must be plain"),
        ("../{id}/{channel}/{file}", "must not have empty, '.' or '..' segments"),
        ("{id}//{channel}/{file}", "must not have empty, '.' or '..' segments"),
        ("/srv/{id}/{channel}/{file}", "must be a relative path"),
        ("{id}/{channel}/{file}.bak", "must end with the segment /{file}"),
        ("{id}/{channel/{file}", "is not a valid template"),
    ],
)
def test_a_bad_key_template_is_refused_at_its_line(tmp_path: Path, template: str, message: str) -> None:
    file = config_with(tmp_path, f"    type: folder\n    path: publish\n    key_template: '{template}'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    assert f"{file}:6" in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("prefix", "../psa", "must not have empty, '.' or '..' segments"),
        ("prefix", "/psa", "must be a relative path"),
        ("endpoint_url", "s3.kalteng.go.id", "must start with https://"),
        ("bucket", "Bucket_Besar", "has characters that are not allowed here"),
        ("cache_control", "x" * 300, "at most 256 characters"),
    ],
)
def test_bad_s3_settings_are_refused_at_their_line(tmp_path: Path, field: str, value: str, message: str) -> None:
    bucket = "" if field == "bucket" else "    bucket: psa-kalteng\n"
    file = config_with(tmp_path, f"    type: s3\n    region: us-east-1\n{bucket}    {field}: '{value}'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    line = 6 if field == "bucket" else 7
    assert f"{file}:{line}" in str(caught.value) and message in str(caught.value)


def test_publish_refuses_a_bad_template_before_uploading_anything(tmp_path: Path) -> None:
    psa = fake_psa(tmp_path, "spot-satu")
    file = config_with(
        tmp_path, f"    type: folder\n    path: '{tmp_path / 'publish'}'\n    key_template: '{{id}}/{{file}}'\n"
    )
    result = run_psa("publish", "--channels", file, "--build", psa.build_root, psa.manifest)
    assert result.code == 1 and f"{file}:6" in result.stderr and "must contain {channel}" in result.stderr
    assert not (tmp_path / "publish").exists()


def test_s3_urls_and_keys_carry_the_prefix_once(tmp_path: Path) -> None:
    destination = S3Destination(
        type="s3", bucket="psa-kalteng", prefix="psa", public_base_url="https://cdn.kalteng.go.id/"
    )
    backend = S3Backend(destination)
    assert destination.prefix == "psa/"
    assert backend.stored_key("web/index.json") == "psa/web/index.json"
    assert backend.url("web/index.json") == "https://cdn.kalteng.go.id/psa/web/index.json"


def test_an_overlong_province_is_refused_before_uploading(tmp_path: Path) -> None:
    from psa_pipeline.channels.config import ChannelConfig
    from psa_pipeline.channels.destinations import FolderDestination
    from psa_pipeline.publish.publish import publish_psa

    psa = fake_psa(tmp_path, "spot-satu", channels=("web",), province="Kalimantan Timur " * 70)  # 1,190 characters
    config = ChannelConfig(destinations={"default": FolderDestination(type="folder", path=tmp_path / "publish")})
    result = publish_psa(psa.manifest, config, psa.build_root)
    # Refused by the manifest's own limits (the same check as psa validate), before any key is made.
    assert result.status == Status.FAILED and "invalid manifest; run psa validate" in (result.error or "")
    assert not (tmp_path / "publish").exists()
