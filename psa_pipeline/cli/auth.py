"""`psa auth youtube`: sign in to a YouTube channel once; psa publish uses the stored token afterwards."""

from __future__ import annotations

from pathlib import Path

import click

from psa_pipeline.cli.common import console
from psa_pipeline.cli.translated import group
from psa_pipeline.core.i18n import N_, _
from psa_pipeline.publish.youtube_api import sign_in


@group()
def auth() -> None:
    """Sign in to services psa publishes to."""


@auth.command("youtube")
@click.option("--client-secrets", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=N_("OAuth client (Desktop app) JSON from the Google Cloud console."))  # fmt: skip
@click.option("--token", "token_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("youtube-token.json"), show_default=True,
              help=N_("Where to store it: the youtube destination's `token_file` in channels.yaml."))  # fmt: skip
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, help=N_("Local port for Google's answer [default: any].")
)
@click.option("--no-browser", is_flag=True, help=N_("Print the address to open instead of opening a browser."))
def youtube(client_secrets: Path, token_file: Path, port: int, no_browser: bool) -> None:
    """Sign in to the office's YouTube channel and store the token (0600, never printed).

    Opens Google's consent page; after you allow access, Google sends the answer to
    psa on 127.0.0.1 and the token is written to --token, readable only by you.
    Run it again when psa publish says the sign-in was revoked or has expired.

    \b
    Example:
      psa auth youtube --client-secrets client_secret.json --token ~/.config/psa/youtube-token.json
    """
    sign_in(client_secrets, token_file, port, open_browser=not no_browser)
    console().print(_("YouTube sign-in stored in {file} (readable only by you)").format(file=token_file))
