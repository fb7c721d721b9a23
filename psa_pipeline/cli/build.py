"""`psa build`: a thin shell over build.many; what a PSA's build does lives in psa_pipeline.build."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from psa_pipeline.build.many import build_all
from psa_pipeline.channels.config import load_config
from psa_pipeline.cli.common import assets_option, channels_option, console
from psa_pipeline.core.progress import Progress
from psa_pipeline.core.status import Status
from psa_pipeline.validation.validate import find_manifests


@click.command()
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
    out = console()
    results = build_all(list(paths), config, build_root, jobs, force, assets_dir, Progress(overall="all PSAs"))
    for result in results:
        name = result.psa_id or str(result.manifest)
        if result.status == Status.FAILED:
            out.print(f"[red]FAIL[/red] {escape(name)}: {escape(result.error or '')}", soft_wrap=True)
        elif result.status == Status.CACHED:
            out.print(f"[green]ok[/green]   {escape(name)}: up to date ({len(result.reused)} renditions)")
        else:
            out.print(
                f"[green]ok[/green]   {escape(name)}: built {len(result.rendered)}, reused {len(result.reused)}"
                f" -> {escape(str(build_root / name))}"
            )
        for note in result.notes if result.status != Status.FAILED else []:
            out.print(f"     [dim]{escape(note)}[/dim]", soft_wrap=True)
    failed = [r for r in results if r.status == Status.FAILED]
    out.print(f"{len(results) - len(failed)} of {len(results)} PSA(s) built")
    sys.exit(1 if failed else 0)
