"""The `psa` command: validate, probe, init and schema (build and publish grow from here)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Literal, cast

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from psa_pipeline import __version__
from psa_pipeline.build.many import build_all
from psa_pipeline.channels.config import load_config
from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.problems import PsaError
from psa_pipeline.manifest.model import json_schema
from psa_pipeline.manifest.scaffold import init_project
from psa_pipeline.media.probe import measure_loudness, probe
from psa_pipeline.publish.publish import publish_all
from psa_pipeline.publish.verify import load_catalogs
from psa_pipeline.recognise.verdict import verify_files
from psa_pipeline.validation.formats import FORMATS, render
from psa_pipeline.validation.validate import Context, find_manifests, validate_all

channels_option = click.option(
    "--channels",
    "channels_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Kominfosantik channel configuration (channels.yaml): profiles and destinations [default: built-in].",
)
assets_option = click.option(
    "--assets",
    "assets_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Shared assets folder for `asset:` paths [default: nearest assets/ above each project].",
)

EPILOG = "Docs and manifest reference: README.md. Exit codes: 0 ok, 1 problems found, 2 usage error."


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = 160  # logs are read in wide windows; 80 columns would fold every table cell
    return console


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG)
@click.version_option(__version__, prog_name="psa")
def main() -> None:
    """psa-pipeline: check, render and publish anti-corruption PSAs (Iklan Layanan Masyarakat).

    \b
    Typical use:
      psa init projects/my-psa --kind video     start a new PSA
      psa validate projects/                    check every manifest and its media
      psa probe media/spot.wav                  streams and loudness of one file
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="human",
    show_default=True,
    help="human (coloured on a terminal), json, junit (JUnit XML for CI), github (::error annotations).",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1 if any).")
@assets_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to a file.")
def validate(paths: tuple[Path, ...], fmt: str, strict: bool, assets_dir: Path | None, output: Path | None) -> None:
    """Check manifests and every file they name.

    PATHS are psa.yaml files or folders; a folder means every psa.yaml below it.
    Checks: YAML syntax and duplicate keys, the schema (unknown keys get a "did you
    mean"), cross-field rules, that every asset exists inside the project and probes
    as the right kind of media, subtitle readability per language, and that the PSA
    fits its broadcast slot. Every problem is printed as FILE:LINE:COL: message.

    \b
    Examples:
      psa validate projects/
      psa validate --format junit -o report.xml projects/
      psa validate --format github projects/my-psa/psa.yaml
    """
    if not list(find_manifests(paths)):
        raise click.UsageError(f"no {', '.join(str(p) for p in paths)}: no psa.yaml found")
    reports = validate_all(paths, Context(assets_dir=assets_dir))
    if output is not None:
        with atomic_text(output) as handle:
            render(reports, fmt, strict, Console(file=handle, width=200, no_color=True, highlight=False))
        if fmt != "human":
            render(reports, "human", strict, _console(stderr=True))
    else:
        render(reports, fmt, strict, _console())
    sys.exit(0 if all(r.ok(strict) for r in reports) else 1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@channels_option
@click.option("-o", "--out", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Where renditions go: OUT/<psa-id>/<channel>/...")  # fmt: skip
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="PSAs built at once [default: number of cores].")
@click.option("--force", is_flag=True, help="Rebuild every rendition even if its inputs did not change.")
@assets_option
def build(
    paths: tuple[Path, ...],
    channels_file: Path | None,
    build_root: Path,
    jobs: int | None,
    force: bool,
    assets_dir: Path | None,
) -> None:
    """Render every channel's files for the PSAs in PATHS.

    For each PSA: intro jingle + content + outro jingle (+ end card for video)
    are assembled, normalised to each channel's loudness target (linear gain,
    a limiter only when the gain would break the true-peak ceiling), captioned
    (burned in, soft tracks, sidecar SRT/WebVTT) and encoded in one ffmpeg run.
    Every finished file is measured again; one off target fails the PSA.
    Unchanged renditions are not rebuilt (cache keyed on input bytes and all
    parameters). Results: OUT/<psa-id>/<channel>/ and OUT/<psa-id>/renditions.json.

    \b
    Examples:
      psa build projects/
      psa build --channels channels.yaml -j 2 projects/bapenda-kalteng-pajak-jujur
    """
    if not list(find_manifests(paths)):
        raise click.UsageError("no psa.yaml found in the given paths")
    config = load_config(channels_file)
    console = _console()
    results = build_all(list(paths), config, build_root, jobs, force, assets_dir, _console(stderr=True))
    for result in results:
        name = result.psa_id or str(result.manifest)
        if result.status == "failed":
            console.print(f"[red]FAIL[/red] {escape(name)}: {escape(result.error or '')}", soft_wrap=True)
        elif result.status == "cached":
            console.print(f"[green]ok[/green]   {escape(name)}: up to date ({len(result.reused)} renditions)")
        else:
            console.print(
                f"[green]ok[/green]   {escape(name)}: built {len(result.rendered)}, reused {len(result.reused)}"
                f" -> {escape(str(build_root / name))}"
            )
    failed = [r for r in results if r.status == "failed"]
    console.print(f"{len(results) - len(failed)} of {len(results)} PSA(s) built")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@channels_option
@click.option("--build", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Where `psa build` put the renditions.")  # fmt: skip
@click.option("--dry-run", is_flag=True, help="Show what would be uploaded where; write nothing.")
@click.option("--replace", is_flag=True, help="Publish a new version over files published with other content.")
def publish(
    paths: tuple[Path, ...], channels_file: Path | None, build_root: Path, dry_run: bool, replace: bool
) -> None:
    """Publish built, approved PSAs to their channels' destinations.

    Each file is uploaded (S3-compatible storage via boto3, or a folder), read
    back and compared with the SHA-256 in renditions.json; only when all files
    of a PSA are verified are its publication.json and then the channel's
    catalogue (index.json) written. Files already published with the same
    content are skipped, so an interrupted run resumes; different content is
    refused unless --replace. PSAs without an approval block are refused.
    S3 credentials come only from the AWS environment, profile or instance role.

    \b
    Examples:
      psa publish --dry-run projects/
      psa publish --channels channels.yaml projects/
    """
    manifests = list(find_manifests(paths))
    if not manifests:
        raise click.UsageError("no psa.yaml found in the given paths")
    config = load_config(channels_file)
    results = publish_all(manifests, config, build_root, replace, dry_run, _console(stderr=True))
    console = _console()
    table = Table(title="psa publish" + (" (dry run: nothing written)" if dry_run else ""))
    for column in ("PSA", "status", "uploaded", "skipped", "refused", "failed"):
        table.add_column(column, overflow="fold")
    for result in results:
        counts = {
            a: sum(1 for f in result.files if f.action == a) for a in ("uploaded", "skipped", "refused", "failed")
        }
        if dry_run:
            counts["uploaded"] = sum(1 for f in result.files if f.action.startswith("would"))
        table.add_row(result.psa_id or str(result.manifest), result.status, *(str(counts[a]) for a in counts))
    console.print(table)
    for result in results:
        if result.error:
            line = f"[red]{result.status}[/red] {escape(result.psa_id or str(result.manifest))}: {escape(result.error)}"
            console.print(line, soft_wrap=True)
    if dry_run:
        for result in results:
            for f in result.files:
                console.print(
                    f"{f.action:>13}  {escape(str(f.local))} -> {escape(f.url)}", highlight=False, soft_wrap=True
                )
    sys.exit(0 if all(r.status in ("published", "up to date", "dry run") for r in results) else 1)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--catalog", required=True, help="Catalogue: a path (index.json or a folder), an https URL, or s3://bucket/key."
)
@click.option("--endpoint-url", help="S3 endpoint for an s3:// catalogue (MinIO, Ceph).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (verdict, PSA, segments, credential).")
def verify(files: tuple[Path, ...], catalog: str, endpoint_url: str | None, as_json: bool) -> None:
    """Say whether FILES are official PSAs, copies of one, altered copies, or unknown (check before sharing).

    Recognises re-encoded, resized, cropped and trimmed copies by their sound and
    picture, and names the stretches that differ in an altered one. Exit 0 when
    every file is official or an official copy, 1 when any is altered or unknown,
    2 when a file or the catalogue cannot be read.

    \b
    Example:
      psa verify video-dari-whatsapp.mp4 --catalog publish/
    """
    try:
        verdicts = verify_files(list(files), load_catalogs(catalog, endpoint_url), endpoint_url)
    except PsaError as exc:
        click.echo(json.dumps({"error": str(exc)}) if as_json else f"psa: error: {exc}", err=not as_json)
        sys.exit(2)
    for verdict in verdicts:
        click.echo(json.dumps(verdict.to_json(), ensure_ascii=False) if as_json else verdict.sentence())
    sys.exit(max(v.exit_code for v in verdicts))


@main.group()
def batch() -> None:
    """Kominfosantik batches: a whole folder of submissions at once."""


@batch.command("run")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@channels_option
@click.option("--build", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help="Build folder; also holds the journal and the report.")  # fmt: skip
@click.option("--publish", "do_publish", is_flag=True, help="Publish the approved PSAs after building.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Local worker processes [default: number of cores].")
@click.option("--scheduler", help="Run builds and publishes on a Dask cluster, e.g. tcp://10.0.0.5:8786.")
@click.option("--force", is_flag=True, help="Ignore the journal and redo every step.")
def batch_run(
    folder: Path,
    channels_file: Path | None,
    build_root: Path,
    do_publish: bool,
    jobs: int | None,
    scheduler: str | None,
    force: bool,
) -> None:
    """Validate, build and (with --publish) publish every PSA below FOLDER, then write a review report.

    Invalid, broken or unapproved submissions are reported and the rest go on.
    A journal in the build folder makes the run resumable: after a crash or
    Ctrl-C, running it again redoes nothing that finished. Two runs on the same
    build folder at once are refused. The review report is
    BUILD/batch-report.html (self-contained, opens from disk) and
    BUILD/batch-report.json. Exit codes: 0 all PSAs ok, 1 some failed, 2 misuse.

    \b
    Examples:
      psa batch run submissions/ --publish
      psa batch run submissions/ --scheduler tcp://10.0.0.5:8786 --channels channels.yaml
    """
    from psa_pipeline.batch.report import write_report
    from psa_pipeline.batch.run import run_batch

    console = _console()
    progress = _BatchProgress(console)
    result = run_batch(folder, build_root, channels_file, do_publish, jobs, scheduler, force, progress.announce)
    console.print(f"writing the review report ({len(result.states)} PSAs)...", highlight=False)
    html_path, json_path = write_report(result, build_root)
    failed = result.failed
    console.print(
        f"{len(result.states) - len(failed)} of {len(result.states)} PSA(s) ok, {len(failed)} with problems, "
        f"in {result.seconds:.1f} s",
        highlight=False,
    )
    for state in failed:
        reasons = [f"{step} {o.get('status')}" for step, o in state.steps.items() if o.get("status") != "ok"]
        console.print(f"  [red]{escape(state.psa_id or state.key)}[/red]: {escape(', '.join(reasons))}", soft_wrap=True)
    console.print(f"review report: {escape(str(html_path))} (and {escape(str(json_path))})", highlight=False)
    sys.exit(1 if failed else 0)


class _BatchProgress:
    """One line per finished task, with the counts and an ETA: readable in a terminal and in a CI log."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.perf_counter()
        self.done: dict[str, int] = {}
        self.total: dict[str, int] = {}

    def announce(self, step: str, state: Any, outcome: dict[str, Any]) -> None:
        self.done[step] = self.done.get(step, 0) + 1
        status = outcome.get("status", "?")
        reused = " (from journal)" if outcome.get("reused") else ""
        elapsed = time.perf_counter() - self.started
        seconds = outcome.get("seconds")
        took = f" {seconds:.1f} s" if isinstance(seconds, (int, float)) and not reused else ""
        colour = "green" if status == "ok" else "red" if status in ("failed", "invalid") else "yellow"
        self.console.print(
            f"{step:>8} [{colour}]{status:<8}[/{colour}] {escape(state.psa_id or state.key)}{took}{reused}"
            f"  [dim]{self.done[step]} {step} step(s) finished, {elapsed:.0f} s elapsed[/dim]",
            highlight=False,
            soft_wrap=True,
        )


@main.command("probe")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--no-loudness", is_flag=True, help="Skip the loudness measurement (decodes the whole file).")
def probe_command(file: Path, as_json: bool, no_loudness: bool) -> None:
    """Streams, duration and loudness of one media file.

    Loudness is measured with ffmpeg's ebur128 filter (EBU R128 / ITU-R BS.1770-4,
    true peak with 4x oversampling): integrated loudness in LUFS, loudness range
    in LU and true peak in dBTP. Silence shows as -inf.
    """
    info = probe(file)
    loudness = None if no_loudness or info.audio is None else measure_loudness(file)
    if as_json:
        data = info.to_json()
        data["loudness"] = loudness.to_json() if loudness else None
        click.echo(json.dumps(data, indent=2))
        return
    console = _console()
    console.print(f"{file}  [dim]{info.format_name}, {info.size} bytes[/dim]")
    console.print(f"  duration  {info.duration:.3f} s")
    for s in info.streams:
        if s.kind == "video":
            detail = f"{s.width}x{s.height} {s.frame_rate or '?'} fps" + (
                " (variable)" if s.variable_frame_rate else ""
            )
        elif s.kind == "audio":
            detail = f"{s.sample_rate} Hz, {s.channels} ch ({s.channel_layout or '?'})"
        else:
            detail = ""
        lang = f" [{s.language}]" if s.language else ""
        console.print(f"  #{s.index} {s.kind:<8} {s.codec:<10} {detail}{lang}")
    if loudness is not None:
        integrated = "-inf (silence)" if loudness.silent else f"{loudness.integrated:.1f} LUFS"
        console.print(
            f"  loudness  {integrated}, range {loudness.loudness_range:.1f} LU, true peak {loudness.true_peak:.1f} dBTP"
        )


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["video", "radio-drama"]), required=True, help="What the PSA is.")
def init(folder: Path, kind: str) -> None:
    """Start a new PSA in FOLDER: a commented psa.yaml, media/ and subtitles/.

    Every field is explained in the manifest. Put your files in media/ and
    subtitles/, edit the manifest, then run `psa validate FOLDER`.
    """
    manifest = init_project(folder, cast(Literal["video", "radio-drama"], kind))
    click.echo(f"created {manifest}; add your media, then: psa validate {folder}")


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def schema(output: Path | None) -> None:
    """Print the manifest's JSON Schema (for editor autocompletion).

    Point yaml-language-server at it with a first line in psa.yaml:
    # yaml-language-server: $schema=path/to/psa.schema.json
    """
    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    with atomic_text(output) as handle:
        handle.write(text)


def run() -> None:
    """Console entry point: user mistakes become one clear line and an exit code, never a traceback."""
    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except PsaError as exc:
        click.echo(f"psa: error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except OSError as exc:
        click.echo(f"psa: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        sys.exit(1)
