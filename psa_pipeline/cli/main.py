"""The `psa` command group: global options, and every stage's commands added to it."""

from __future__ import annotations

import os

import click

from psa_pipeline import __version__
from psa_pipeline.cli.approve import approve
from psa_pipeline.cli.auth import auth
from psa_pipeline.cli.batch import batch
from psa_pipeline.cli.build import build
from psa_pipeline.cli.checks import init, probe_command, schema, validate
from psa_pipeline.cli.kits import kits
from psa_pipeline.cli.publish import publish, verify
from psa_pipeline.cli.review import review
from psa_pipeline.cli.site import site
from psa_pipeline.cli.translated import group
from psa_pipeline.core import i18n
from psa_pipeline.core.i18n import N_, _
from psa_pipeline.core.progress import Verbosity, set_verbosity

EPILOG = N_(
    "Docs and manifest reference: README.md. "
    "Exit codes: 0 ok, 1 problems found, 2 usage error, 70 internal error (a crash report is written)."
)


def _version(ctx: click.Context, _param: click.Parameter, shown: bool) -> None:
    """`psa --version`: click.version_option's line, in the user's language (its message is fixed at import)."""
    if shown and not ctx.resilient_parsing:
        click.echo(_("{program}, version {version}").format(program="psa", version=__version__))
        ctx.exit()


@group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}, epilog=EPILOG)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help=N_("Show the version and exit."))  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help=N_("Print every ffmpeg/ffprobe command line (stderr) as it runs."))
@click.option("-q", "--quiet", is_flag=True, help=N_("No progress or information: only results and errors."))
@click.option(
    "--lang",
    type=click.Choice(i18n.LANGUAGES),
    help=N_("Language of messages and reports: id (Bahasa Indonesia, the default) or en. Also PSA_LANG."),
)
def main(verbose: bool, quiet: bool, lang: str | None) -> None:
    """psa-pipeline: check, render and publish anti-corruption PSAs (Iklan Layanan Masyarakat).

    \b
    Typical use:
      psa init projects/my-psa --kind video     start a new PSA
      psa validate projects/                    check every manifest and its media
      psa probe media/spot.wav                  streams and loudness of one file
    """
    if verbose and quiet:
        raise click.UsageError(_("--verbose and --quiet contradict each other: choose one"))
    # In the environment, so worker processes (and, through the batch tasks, Dask workers) follow it;
    # without a flag, PSA_VERBOSE=1 / PSA_QUIET=1 set by the user stay in force.
    if verbose or quiet:
        set_verbosity(Verbosity.VERBOSE if verbose else Verbosity.QUIET)
    if lang:
        # Also for worker processes, like the verbosity.
        os.environ["PSA_LANG"] = lang
        i18n.choose(lang)


for command in (
    validate,
    build,
    approve,
    review,
    publish,
    verify,
    batch,
    probe_command,
    init,
    schema,
    site,
    kits,
    auth,
):
    main.add_command(command)
