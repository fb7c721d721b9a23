"""Commands that look without building: validate, probe, init, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal, cast

import click
from rich.console import Console
from rich.markup import escape

from psa_pipeline.channels.config import load_config
from psa_pipeline.cli.common import assets_option, channels_option, console
from psa_pipeline.cli.translated import command
from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.i18n import N_, _
from psa_pipeline.manifest.model import json_schema
from psa_pipeline.manifest.scaffold import init_project
from psa_pipeline.media.probe import measure_loudness, probe, track_reason, video_summary
from psa_pipeline.records.registry import record_schemas
from psa_pipeline.validation.formats import FORMATS, render
from psa_pipeline.validation.validate import Context, find_manifests, validate_all


@command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="human",
    show_default=True,
    help=N_("human (coloured on a terminal), json, junit (JUnit XML for CI), github (::error annotations)."),
)
@click.option("--strict", is_flag=True, help=N_("Treat warnings as errors (exit 1 if any)."))
@channels_option
@assets_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help=N_("Write the report to a file."))
def validate(
    paths: tuple[Path, ...],
    fmt: str,
    strict: bool,
    channels_file: Path | None,
    assets_dir: Path | None,
    output: Path | None,
) -> None:
    """Check manifests and every file they name.

    PATHS are psa.yaml files or folders; a folder means every psa.yaml below it.
    Checks: YAML syntax and duplicate keys, the schema (unknown keys get a "did you
    mean"), cross-field rules, that every asset exists inside the project and probes
    as the right kind of media, subtitle readability per language, and that the PSA
    fits its broadcast slot and every channel's limits (the channels of --channels,
    as build uses them). Every problem is printed as FILE:LINE:COL: message.

    \b
    Examples:
      psa validate projects/
      psa validate --format junit -o report.xml projects/
      psa validate --format github projects/my-psa/psa.yaml
      psa validate --channels channels.yaml projects/
    """
    if not list(find_manifests(paths)):
        shown = ", ".join(str(p) for p in paths)
        raise click.UsageError(
            _("{paths}: no psa.yaml found; create one with `psa init FOLDER --kind video`").format(paths=shown)
        )
    config = load_config(channels_file)
    reports = validate_all(paths, Context(assets_dir=assets_dir, config=config, channels_file=channels_file))
    if output is not None:
        with atomic_text(output) as handle:
            render(reports, fmt, strict, Console(file=handle, width=200, no_color=True, highlight=False))
        if fmt != "human":
            render(reports, "human", strict, console(stderr=True))
    else:
        render(reports, fmt, strict, console())
    sys.exit(0 if all(r.ok(strict) for r in reports) else 1)


@command("probe")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=N_("Print JSON instead of a table."))
@click.option("--no-loudness", is_flag=True, help=N_("Skip the loudness measurement (decodes the whole file)."))
def probe_command(file: Path, as_json: bool, no_loudness: bool) -> None:
    """Streams, duration and loudness of one media file.

    Loudness is measured with ffmpeg's ebur128 filter (EBU R128 / ITU-R BS.1770-4,
    true peak with 4x oversampling): integrated loudness in LUFS, loudness range
    in LU and true peak in dBTP. Silence shows as -inf.
    """
    info = probe(file)
    loudness = None if no_loudness or info.audio is None else measure_loudness(file, info.audio_track or 0)
    if as_json:
        data = info.to_json()
        data["loudness"] = loudness.to_json() if loudness else None
        click.echo(json.dumps(data, indent=2))
        return
    out = console()
    size = _("{format}, {size} bytes").format(format=info.format_name, size=info.size)
    out.print(f"{file}  [dim]{escape(size)}[/dim]")
    out.print(_("  duration  {seconds:.3f} s").format(seconds=info.duration))
    for s in info.streams:
        if s.kind == "video":
            detail = video_summary(s)
        elif s.kind == "audio":
            detail = (
                f"{s.sample_rate} Hz, {s.channels} ch ({s.channel_layout or '?'})"
                + (_(", default") if s.default else "")
                + (_(", silent") if s.silent else "")
            )
        else:
            detail = ""
        lang = f" [{s.language}]" if s.language else ""
        out.print(f"  #{s.index} {s.kind:<8} {s.codec:<10} {escape(detail)}{lang}")
    if reason := track_reason(info):
        out.print(_("  uses      {reason} (choose another with `audio_track:` in psa.yaml)").format(reason=reason))
    if loudness is not None:
        integrated = _("-inf (silence)") if loudness.silent else f"{loudness.integrated:.1f} LUFS"
        line = _("  loudness  {integrated}, range {range:.1f} LU, true peak {peak:.1f} dBTP").format(
            integrated=integrated, range=loudness.loudness_range, peak=loudness.true_peak
        )
        out.print(line)


@command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["video", "radio-drama"]), required=True, help=N_("What the PSA is."))
def init(folder: Path, kind: str) -> None:
    """Start a new PSA in FOLDER: a commented psa.yaml, media/ and subtitles/.

    Every field is explained in the manifest. Put your files in media/ and
    subtitles/, edit the manifest, then run `psa validate FOLDER`.
    """
    manifest = init_project(folder, cast(Literal["video", "radio-drama"], kind))
    click.echo(
        _("created {manifest}; add your media, then: psa validate {folder}").format(manifest=manifest, folder=folder)
    )


@command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help=N_("Write to a file (with --records: a folder) [default: standard output]."),
)
@click.option("--records", is_flag=True, help=N_("The JSON Schemas of the records psa writes (renditions.json, ...)."))
def schema(output: Path | None, records: bool) -> None:
    """Print the manifest's JSON Schema (for editor autocompletion), or with --records the records'.

    \b
    Point yaml-language-server at it with a first line in psa.yaml:
    # yaml-language-server: $schema=path/to/psa.schema.json

    With --records and -o DIR, each record kind goes to DIR/<kind>.schema.json, and
    other *.schema.json files in DIR (kinds that no longer exist) are removed.

    \b
    Examples:
      psa schema -o schema/psa.schema.json
      psa schema --records -o schema/records
    """
    if records:
        schemas = record_schemas()
        if output is None:
            click.echo(_json(schemas), nl=False)
        else:
            _write_folder(output, {f"{kind}.schema.json": _json(s) for kind, s in schemas.items()})
        return
    text = _json(json_schema())
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_text(output) as handle:
        handle.write(text)


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write_folder(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.schema.json"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        with atomic_text(folder / name) as handle:
            handle.write(text)
