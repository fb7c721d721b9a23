"""`psa build`: a thin shell over build.many; what a PSA's build does lives in psa_pipeline.build."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from psa_pipeline.build.many import build_all
from psa_pipeline.channels.config import load_config
from psa_pipeline.cli.common import assets_option, channels_option, console
from psa_pipeline.cli.translated import command
from psa_pipeline.core.i18n import N_, _, ngettext
from psa_pipeline.core.progress import Progress
from psa_pipeline.core.status import Status
from psa_pipeline.validation.validate import find_manifests


@command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@channels_option
@click.option("-o", "--out", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help=N_("Where renditions go: OUT/<psa-id>/<channel>/..."))  # fmt: skip
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help=N_("PSAs built at once [default: number of cores]."))
@click.option("--force", is_flag=True, help=N_("Rebuild every rendition even if its inputs did not change."))
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
        raise click.UsageError(_("no psa.yaml found in the given paths"))
    config = load_config(channels_file)
    out = console()
    progress = Progress(overall=_("all PSAs"))
    results = build_all(list(paths), config, build_root, jobs, force, assets_dir, progress)
    ok, failed_word = _("ok"), _("FAIL")
    width = max(len(ok), len(failed_word))
    for result in results:
        name = result.psa_id or str(result.manifest)
        if result.status == Status.FAILED:
            word = f"[red]{failed_word:<{width}}[/red]"
            out.print(f"{word} {escape(name)}: {escape(result.error or '')}", soft_wrap=True)
            continue
        word = f"[green]{ok:<{width}}[/green]"
        if result.status == Status.CACHED:
            count = len(result.reused)
            done = ngettext("up to date ({count} rendition)", "up to date ({count} renditions)", count)
            out.print(f"{word} {escape(name)}: " + escape(done.format(count=count)))
        else:
            done = _("built {built}, reused {reused} -> {folder}").format(
                built=len(result.rendered), reused=len(result.reused), folder=build_root / name
            )
            out.print(f"{word} {escape(name)}: {escape(done)}")
        for note in result.notes:
            out.print(f"{' ' * (width + 1)}[dim]{escape(note)}[/dim]", soft_wrap=True)
    failed = [r for r in results if r.status == Status.FAILED]
    total = len(results)
    out.print(ngettext("{built} of {total} PSA built", "{built} of {total} PSAs built", total).format(
        built=total - len(failed), total=total))  # fmt: skip
    sys.exit(1 if failed else 0)
