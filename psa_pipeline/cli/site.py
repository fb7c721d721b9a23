"""`psa site`: render the public site and podcast feeds again, e.g. daily, so expired PSAs drop out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from psa_pipeline.channels.config import load_config
from psa_pipeline.cli.common import channels_option, console
from psa_pipeline.cli.translated import command
from psa_pipeline.core.i18n import _
from psa_pipeline.publish.destinations import backend
from psa_pipeline.publish.public import refresh_site, site_destination


@command("site")
@channels_option
def site(channels_file: Path | None) -> None:
    """Regenerate the public PSA site and podcast feeds in the web destination.

    psa publish does this after every PSA; run it on its own (daily, from cron)
    so PSAs whose `expires` time has passed leave the site and feeds without
    waiting for the next publish. Only files whose content changed are written.

    \b
    Example:
      psa site --channels channels.yaml
    """
    config = load_config(channels_file)
    done = refresh_site(config, dt.datetime.now(dt.UTC))
    where = backend(site_destination(config)).url("site/index.html")
    console().print(
        _("site regenerated in {where}: {written} written, {unchanged} unchanged, {deleted} removed").format(
            where=where,
            written=done.written,
            unchanged=done.unchanged,
            deleted=done.deleted,
        ),
        highlight=False,
        soft_wrap=True,
    )
