"""What the catalogue lists is what psa uploaded and verified: tampering, forgeries, hijacks, stale builds, replaces.

Builds are fakes (tests/fakebuild.py: the real renditions.json record, small files, no ffmpeg);
destinations are real folders and the moto S3 server on loopback. Every check of stored bytes
hashes them here, independently of the publisher.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fakebuild import FakePsa, fake_psa, sha256
from helpers import run_psa
from s3fixtures import S3Server

from psa_pipeline.channels.config import ChannelConfig
from psa_pipeline.channels.destinations import FolderDestination, S3Destination
from psa_pipeline.core.status import Status
from psa_pipeline.publish.folder import FolderBackend
from psa_pipeline.publish.publish import publish_psa

pytestmark = pytest.mark.media

FOLDER_OF = "kalimantan-timur/diskominfo-kaltim/2025/{id}/{channel}/"


def folder_config(root: Path, **options: Any) -> ChannelConfig:
    return ChannelConfig(destinations={"default": FolderDestination(type="folder", path=root, **options)})


def catalogue(root: Path, channel: str = "web") -> dict[str, Any]:
    return json.loads((root / channel / "index.json").read_text())  # type: ignore[no-any-return]


def listed_files(root: Path, channel: str = "web") -> dict[str, str]:
    """key -> SHA-256 the catalogue claims, for every listed file."""
    return {f["key"]: f["sha256"] for e in catalogue(root, channel)["psas"].values() for f in e["files"]}


def listed_media(root: Path, channel: str = "web") -> dict[str, str]:
    """listed_files without the fingerprint files publishing adds beside the renditions."""
    return {k: v for k, v in listed_files(root, channel).items() if not k.endswith(".fingerprints.json")}


def assert_listed_files_are_true(root: Path, channel: str = "web") -> None:
    for key, claimed in listed_files(root, channel).items():
        assert hashlib.sha256((root / key).read_bytes()).hexdigest() == claimed, key


@pytest.fixture
def psa(tmp_path: Path) -> FakePsa:
    return fake_psa(tmp_path, "spot-satu")


def test_an_object_altered_after_publication_is_repaired_from_the_build(tmp_path: Path, psa: FakePsa) -> None:
    dest = tmp_path / "publish"
    assert publish_psa(psa.manifest, folder_config(dest), psa.build_root).status == Status.OK
    stored = dest / FOLDER_OF.format(id="spot-satu", channel="web") / "spot-satu-web-spot.mp3"
    stored.write_bytes(b"diubah oleh orang lain")  # same name, other bytes
    result = publish_psa(psa.manifest, folder_config(dest), psa.build_root)
    assert result.status == Status.OK, result.error
    web = next(f for f in result.files if f.channel == "web")
    assert web.action == "uploaded" and web.detail.startswith("repaired: stored object had sha256 ")
    assert stored.read_bytes() == psa.files["spot-satu-web-spot.mp3"]
    assert_listed_files_are_true(dest)


@pytest.mark.media
def test_an_s3_object_altered_after_publication_is_repaired(
    aws_env: None, s3_server: S3Server, s3_bucket: str, psa: FakePsa
) -> None:
    config = ChannelConfig(destinations={"default": S3Destination(
        type="s3", bucket=s3_bucket, endpoint_url=s3_server.endpoint_url, prefix="psa")})  # fmt: skip
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    client = s3_server.client()
    key = "psa/" + FOLDER_OF.format(id="spot-satu", channel="whatsapp") + "spot-satu-whatsapp-spot.mp3"
    # The tamperer even keeps the metadata that claims the old hash.
    head = client.head_object(Bucket=s3_bucket, Key=key)
    client.put_object(Bucket=s3_bucket, Key=key, Body=b"x" * head["ContentLength"], Metadata=head["Metadata"])
    result = publish_psa(psa.manifest, config, psa.build_root)
    assert result.status == Status.OK, result.error
    body = client.get_object(Bucket=s3_bucket, Key=key)["Body"].read()
    assert body == psa.files["spot-satu-whatsapp-spot.mp3"]
    index = json.loads(client.get_object(Bucket=s3_bucket, Key="psa/whatsapp/index.json")["Body"].read())
    listed = index["psas"]["spot-satu"]["files"][0]
    assert listed["key"] == key and listed["sha256"] == hashlib.sha256(body).hexdigest()


def test_a_planted_publication_json_is_never_taken_as_truth(tmp_path: Path, psa: FakePsa) -> None:
    dest = tmp_path / "publish"
    folder = dest / FOLDER_OF.format(id="spot-satu", channel="web")
    folder.mkdir(parents=True)
    forged = b"video palsu"
    (folder / "palsu.mp4").write_bytes(forged)
    planted = {
        "kind": "publication", "schema": 1, "channel": "web", "published_at": "2025-01-01T00:00:00+00:00",
        "psa": json.loads((psa.build_root / "spot-satu" / "renditions.json").read_text())["psa"], "approval": None,
        "files": [{"file": "palsu.mp4", "key": str(folder / "palsu.mp4"), "url": "x", "size": len(forged),
                   "sha256": sha256(forged)}],
    }  # fmt: skip
    (folder / "publication.json").write_text(json.dumps(planted))
    assert publish_psa(psa.manifest, folder_config(dest), psa.build_root).status == Status.OK
    assert sha256(forged) not in listed_files(dest).values()
    assert [f["file"] for f in json.loads((folder / "publication.json").read_text())["files"]] == [
        "spot-satu-web-spot.mp3",
        "spot-satu-web.fingerprints.json",
    ]
    result = run_psa("verify", folder / "palsu.mp4", "--catalog", dest)
    assert result.code == 2 and "OFFICIAL" not in result.stdout  # not listed; and not media at all
    # Planted again after publication: the next run rewrites it from what it verified.
    (folder / "publication.json").write_text(json.dumps(planted))
    assert publish_psa(psa.manifest, folder_config(dest), psa.build_root).status == Status.OK
    assert "palsu.mp4" not in (folder / "publication.json").read_text()


def test_a_hand_edited_catalogue_entry_is_restored_and_a_broken_one_stops_publishing(
    tmp_path: Path, psa: FakePsa
) -> None:
    dest = tmp_path / "publish"
    assert publish_psa(psa.manifest, folder_config(dest), psa.build_root).status == Status.OK
    index = dest / "web" / "index.json"
    edited = catalogue(dest)
    edited["psas"]["spot-satu"]["files"][0]["sha256"] = sha256(b"video palsu")
    index.write_text(json.dumps(edited))
    assert publish_psa(psa.manifest, folder_config(dest), psa.build_root).status == Status.OK
    assert_listed_files_are_true(dest)
    index.write_text('{"kind": "catalogue", "schema": 1, "psas": [')
    result = publish_psa(psa.manifest, folder_config(dest), psa.build_root)
    assert (
        result.status == Status.FAILED
        and str(index) in (result.error or "")
        and "repaired by hand" in (result.error or "")
    )
    assert index.read_text() == '{"kind": "catalogue", "schema": 1, "psas": ['


def test_another_agency_cannot_take_over_an_id(tmp_path: Path, psa: FakePsa) -> None:
    dest = tmp_path / "publish"
    assert publish_psa(psa.manifest, folder_config(dest), psa.build_root).status == Status.OK
    before = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file() and ".psa-locks" not in p.parts}
    other = fake_psa(tmp_path / "lain", "spot-satu", agency_code="BAPENDA-KALTENG")
    result = publish_psa(other.manifest, folder_config(dest), other.build_root)
    assert result.status == Status.REFUSED
    assert "already published by Diskominfo Kaltim (DISKOMINFO-KALTIM)" in (result.error or "")
    after = {p: p.read_bytes() for p in dest.rglob("*") if p.is_file() and ".psa-locks" not in p.parts}
    assert after == before  # nothing uploaded under the other agency's keys, the entry unchanged


def test_an_out_of_date_build_is_refused_naming_what_changed(tmp_path: Path, psa: FakePsa) -> None:
    dest = tmp_path / "publish"
    (psa.project / "media" / "spot.wav").write_bytes(b"a newer mix")
    result = publish_psa(psa.manifest, folder_config(dest), psa.build_root)
    assert result.status == Status.REFUSED
    assert result.error == (
        f"{psa.build_root / 'spot-satu'} was made from an older media/spot.wav: run psa build {psa.project}"
    )
    psa.manifest.write_text(psa.manifest.read_text().replace("Tolak Pungli", "Lawan Pungli"))
    result = publish_psa(psa.manifest, folder_config(dest), psa.build_root)
    assert result.status == Status.REFUSED and "older psa.yaml / media/spot.wav: run psa build" in (result.error or "")
    assert not dest.exists()


def test_a_record_pointing_outside_the_build_is_refused(tmp_path: Path, psa: FakePsa) -> None:
    record = psa.build_root / "spot-satu" / "renditions.json"
    secret = tmp_path / "rahasia.txt"
    secret.write_text("kunci")
    (psa.build_root / "spot-satu" / "spot-satu-web-spot.mp3").unlink()
    (psa.build_root / "spot-satu" / "spot-satu-web-spot.mp3").symlink_to(secret)
    result = publish_psa(psa.manifest, folder_config(tmp_path / "publish"), psa.build_root)
    assert result.status == Status.FAILED and "leads outside" in (result.error or "")
    record.write_text(record.read_text().replace('"file": "spot-satu-web-spot.mp3"', '"file": "../../rahasia.txt"'))
    result = publish_psa(psa.manifest, folder_config(tmp_path / "publish"), psa.build_root)
    assert result.status == Status.FAILED and "must stay inside the PSA's build folder" in (result.error or "")
    assert not (tmp_path / "publish").exists()


def test_an_interrupted_replace_is_finished_by_the_next_run(
    tmp_path: Path, psa: FakePsa, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "publish"
    assert publish_psa(psa.manifest, folder_config(dest), psa.build_root).status == Status.OK
    v2 = fake_psa(tmp_path, "spot-satu", version="2")  # rebuilt from a new mix
    uploads = []
    real_upload = FolderBackend.upload

    def killed_on_the_second_file(self: FolderBackend, local: Path, *args: Any, **kwargs: Any) -> None:
        uploads.append(local.name)
        if local.name == "spot-satu-whatsapp-spot.mp3":  # the second channel's rendition
            raise KeyboardInterrupt  # stands for kill -9: nothing after this point runs
        real_upload(self, local, *args, **kwargs)

    monkeypatch.setattr(FolderBackend, "upload", killed_on_the_second_file)
    with pytest.raises(KeyboardInterrupt):
        publish_psa(v2.manifest, folder_config(dest), v2.build_root, replace=True)
    monkeypatch.setattr(FolderBackend, "upload", real_upload)
    intent = dest / FOLDER_OF.format(id="spot-satu", channel="whatsapp") / ".replace-intent.json"
    assert intent.is_file()
    assert set(listed_media(dest, "web").values()) != {sha256(v2.files["spot-satu-web-spot.mp3"])}

    result = publish_psa(v2.manifest, folder_config(dest), v2.build_root)  # no --replace: the intent says so
    assert result.status == Status.OK, result.error
    for channel in ("web", "whatsapp"):
        assert set(listed_media(dest, channel).values()) == {sha256(v2.files[f"spot-satu-{channel}-spot.mp3"])}
        assert_listed_files_are_true(dest, channel)
    assert not intent.exists()
    assert publish_psa(v2.manifest, folder_config(dest), v2.build_root).status == Status.CACHED


def test_an_interrupted_replace_for_another_build_needs_replace(
    tmp_path: Path, psa: FakePsa, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "publish"
    assert publish_psa(psa.manifest, folder_config(dest), psa.build_root).status == Status.OK
    v2 = fake_psa(tmp_path, "spot-satu", version="2")
    # Only the upload is put back afterwards (monkeypatch.undo() would also undo conftest's PSA_LANG=en).
    with monkeypatch.context() as patched, pytest.raises(KeyboardInterrupt):
        patched.setattr(FolderBackend, "upload", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt))
        publish_psa(v2.manifest, folder_config(dest), v2.build_root, replace=True)
    v3 = fake_psa(tmp_path, "spot-satu", version="3")
    result = publish_psa(v3.manifest, folder_config(dest), v3.build_root)
    assert result.status == Status.REFUSED and "an interrupted --replace" in (result.error or "")
    result = publish_psa(v3.manifest, folder_config(dest), v3.build_root, replace=True)
    assert result.status == Status.OK, result.error
    assert set(listed_media(dest).values()) == {sha256(v3.files["spot-satu-web-spot.mp3"])}


def test_stale_upload_cleanup_stays_inside_the_psa_folder(tmp_path: Path) -> None:
    dest = tmp_path / "publish"
    config = folder_config(dest, key_template="{channel}/{id}/{file}")
    neighbour = dest / "web" / "spot-satu-2"
    neighbour.mkdir(parents=True)
    (neighbour / ".spot-satu-2-web-spot.mp3.123.part").write_bytes(b"still uploading")
    psa = fake_psa(tmp_path, "spot-satu", channels=("web",))
    assert publish_psa(psa.manifest, config, psa.build_root).status == Status.OK
    assert (neighbour / ".spot-satu-2-web-spot.mp3.123.part").exists()
    assert (dest / "web" / "spot-satu" / "spot-satu-web-spot.mp3").is_file()


def test_folder_urls_do_not_depend_on_the_working_directory(
    tmp_path: Path, psa: FakePsa, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert publish_psa(psa.manifest, folder_config(Path("publish")), psa.build_root).status == Status.OK
    entry = catalogue(tmp_path / "publish")["psas"]["spot-satu"]
    assert Path(entry["files"][0]["url"]).is_absolute() and Path(entry["publication"]).is_absolute()
    assert Path(entry["files"][0]["url"]).read_bytes() == psa.files["spot-satu-web-spot.mp3"]
