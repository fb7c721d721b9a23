"""`psa kits`: social upload kits (Instagram Reels, TikTok, Facebook Reels) to post from a phone."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from psa_pipeline.build.one_psa import RECORD
from psa_pipeline.cli.common import console
from psa_pipeline.cli.translated import command
from psa_pipeline.core.i18n import N_, _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.manifest.load import load_manifest
from psa_pipeline.publish.kits import PLATFORMS, make_kit, plan_kits
from psa_pipeline.records.renditions import RenditionsRecord
from psa_pipeline.validation.validate import find_manifests


@command("kits")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--build", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
              show_default=True, help=N_("Where `psa build` put the renditions."))  # fmt: skip
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("kits"),
              show_default=True, help=N_("Kits go to OUT/<psa-id>/<platform>/ and a zip beside."))  # fmt: skip
@click.option("--platform", "platforms", multiple=True, type=click.Choice(list(PLATFORMS)),
              help=N_("Only these platforms [default: all]."))  # fmt: skip
def kits(paths: tuple[Path, ...], build_root: Path, out: Path, platforms: tuple[str, ...]) -> None:
    """Make social upload kits from built PSAs: the vertical rendition, a cover frame, captions.

    For each PSA and platform, a folder and a zip with the 9:16 rendition of the
    `social` channel, cover.jpg, and caption-id.txt / caption-en.txt (title,
    SP4N-LAPOR! call to action, hashtags from the themes), ready to post from a
    phone. A PSA that does not fit a platform (no vertical rendition, too long)
    is named with the fix; the other PSAs go on.

    \b
    Example:
      psa kits projects/ --out kits/
    """
    manifests = list(find_manifests(paths))
    if not manifests:
        raise click.UsageError(_("no psa.yaml found in the given paths"))
    out_console = console()
    failed = 0
    for manifest_file in manifests:
        try:
            loaded = load_manifest(manifest_file)
            if loaded.manifest is None:
                raise PsaError(_("{file}: invalid manifest; run psa validate {file}").format(file=manifest_file))
            manifest = loaded.manifest
            record = RenditionsRecord.read(build_root / manifest.id / RECORD)
            plans = plan_kits(manifest, record, list(platforms) or None)
        except PsaError as exc:
            failed += 1
            out_console.print(f"[red]{_('refused')}[/red] {escape(str(exc))}", soft_wrap=True)
            continue
        for plan in plans:
            try:
                zipped = make_kit(plan, build_root / manifest.id, out)
            except PsaError as exc:
                failed += 1
                out_console.print(f"[red]{_('refused')}[/red] {escape(str(exc))}", soft_wrap=True)
                continue
            out_console.print(f"{_('kit')}  {escape(str(zipped))}", highlight=False, soft_wrap=True)
    sys.exit(1 if failed else 0)
