"""What every command shares: the --channels and --assets options and the consoles results are printed on."""

from __future__ import annotations

from pathlib import Path

import click

from psa_pipeline.core.progress import console

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

__all__ = ["assets_option", "channels_option", "console"]
