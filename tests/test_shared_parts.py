"""Jingles a batch shares are prepared once; each PSA's render reads them, and its cache keys do not notice.

Pure: plans and command lines, no ffmpeg (the media test is tests/test_shared_media.py).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from test_plan import inputs, manifest

from psa_pipeline.build.plan import PsaPlan, cache_key, mixes_command, plan_psa, program_key
from psa_pipeline.build.programme import CONFORM, conform_args
from psa_pipeline.build.shared import part_key, parts_of, shared_parts
from psa_pipeline.channels.config import builtin
from psa_pipeline.manifest.model import Manifest

VERSION = "ffmpeg version 7.1"


def plan(prepared: dict[str, Path] | None = None) -> PsaPlan:
    given = inputs()
    prepared = prepared or {}
    given = replace(
        given,
        intro=replace(given.intro, prepared=prepared.get("intro")) if given.intro else None,
        outro=replace(given.outro, prepared=prepared.get("outro")) if given.outro else None,
    )
    return plan_psa(manifest(), given, builtin(), 2025)


def test_a_prepared_jingle_is_read_from_its_prepared_file_without_conforming_it_again() -> None:
    command = mixes_command(plan({"intro": Path("/build/.shared/abc.wav")}), plan().renditions)
    graph = command[command.index("-filter_complex") + 1]
    inputs_given = [command[i + 1] for i, arg in enumerate(command) if arg == "-i"]
    assert "/build/.shared/abc.wav" in inputs_given and "/media/i.wav" not in inputs_given
    intro = inputs_given.index("/build/.shared/abc.wav")
    outro = inputs_given.index("/media/o.wav")
    # The prepared intro only declares the planar layout; the outro, not prepared, is conformed in the graph.
    assert f"[{intro}:a:0]aformat=sample_fmts=fltp:channel_layouts=stereo," in graph
    assert f"[{intro}:a:0]{CONFORM}" not in graph
    assert f"[{outro}:a:0]{CONFORM}" in graph


def test_cache_keys_do_not_change_when_a_jingle_is_prepared_or_its_prepared_file_moves() -> None:
    bare = plan()
    here = plan({"intro": Path("/build/.shared/abc.wav"), "outro": Path("/build/.shared/def.wav")})
    moved = plan({"intro": Path("/elsewhere/abc.wav"), "outro": Path("/elsewhere/def.wav")})
    for r in bare.renditions:
        keys = {cache_key(p, r, VERSION, []) for p in (bare, here, moved)}
        assert len(keys) == 1, r.name
    assert len({program_key(p, VERSION) for p in (bare, here, moved)}) == 1


def test_cache_keys_change_when_a_jingles_content_changes() -> None:
    bare = plan()
    given = replace(bare.inputs, intro=replace(bare.inputs.intro, digest="sha-new-intro"))  # type: ignore[arg-type]
    changed = plan_psa(manifest(), given, builtin(), 2025)
    for r in bare.renditions:
        assert cache_key(bare, r, VERSION, []) != cache_key(changed, r, VERSION, []), r.name
    assert program_key(bare, VERSION) != program_key(changed, VERSION)
    # ...and so does the prepared file's name, so a stale prepared jingle is never read for the new one.
    assert part_key("sha-i.wav", VERSION) != part_key("sha-new-intro", VERSION)
    assert part_key("sha-i.wav", VERSION) != part_key("sha-i.wav", "ffmpeg version 8.0")


def test_preparing_writes_the_conform_chain_the_graph_would_apply_as_float_wav() -> None:
    args = conform_args("/assets/jingles/intro.mp3", "/build/.shared/x.wav")
    assert args[args.index("-filter_complex") + 1] == f"[0:a:0]{CONFORM}[conformed]"
    assert args[args.index("-c:a") + 1] == "pcm_f32le" and args[-1] == "/build/.shared/x.wav"


def with_jingles(intro: str | None, outro: str | None, logo: str | None = None) -> Manifest:
    jingles = {k: {"file": v} for k, v in (("intro", intro), ("outro", outro)) if v}
    card = {"text": "Lapor", "duration": 3, **({"logo": logo} if logo else {})}
    return manifest(jingles=jingles, end_card=card)


def test_only_parts_two_or_more_psas_name_are_shared(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    (assets / "jingles").mkdir(parents=True)
    projects = [tmp_path / name for name in ("a", "b", "c")]
    uses = [
        parts_of(
            with_jingles("asset:jingles/lapor.wav", "asset:jingles/tutup.wav", "asset:logo.png"), projects[0], assets
        ),
        parts_of(with_jingles("asset:jingles/lapor.wav", "sendiri.wav", "asset:logo.png"), projects[1], assets),
        parts_of(with_jingles("asset:jingles/lapor.wav", None), projects[2], assets),
    ]
    found = {(p.path.relative_to(tmp_path.resolve()).as_posix(), p.conform) for p in shared_parts(uses)}
    assert found == {("assets/jingles/lapor.wav", True), ("assets/logo.png", False)}


def test_a_reference_that_leaves_its_folder_is_left_to_the_psas_own_build(tmp_path: Path) -> None:
    assert parts_of(with_jingles("../elsewhere.wav", None), tmp_path / "a", tmp_path / "assets") == []
