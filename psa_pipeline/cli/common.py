"""What every command shares: the --channels and --assets options and the consoles results are printed on."""

from __future__ import annotations

from pathlib import Path

import click

from psa_pipeline.core.i18n import N_
from psa_pipeline.core.progress import console

channels_option = click.option(
    "--channels",
    "channels_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=N_("Kominfosantik channel configuration (channels.yaml): profiles and destinations [default: built-in]."),
)
assets_option = click.option(
    "--assets",
    "assets_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help=N_("Shared assets folder for `asset:` paths [default: nearest assets/ above each project]."),
)

approvals_option = click.option(
    "--approvals",
    type=click.Path(file_okay=False, path_type=Path),
    help=N_("Folder of reviewers' approvals [default: approvals/ beside the build folder]."),
)
build_option = click.option(
    "--build", "build_root", type=click.Path(file_okay=False, path_type=Path), default=Path("build"),
    show_default=True, help=N_("Where `psa build` put the renditions."),
)  # fmt: skip

__all__ = ["approvals_option", "assets_option", "build_option", "channels_option", "console"]
