"""Names vulture (dead-code check in `make test`) cannot see used; each says who uses it.

Run `.venv/bin/vulture` to check; add a name here only with the reason it is not dead.
"""

import httplib2

from psa_pipeline.channels.config import ChannelProfile, RenditionSpec, _Strict
from psa_pipeline.channels.destinations import FolderDestination, S3Destination
from psa_pipeline.cli.batch import batch_publish, batch_run
from psa_pipeline.cli.review import add_reviewer_command, serve
from psa_pipeline.cli.translated import CLICK_HELP, Context, Group, _Translated, extract_commands
from psa_pipeline.core.status import Status
from psa_pipeline.manifest.languages import Language
from psa_pipeline.manifest.model import Approval, Manifest, Strict
from psa_pipeline.records.base import Record
from psa_pipeline.records.journal import BatchJournal, StepOutcome
from psa_pipeline.records.publication import PlannedFile
from psa_pipeline.records.renditions import Captions, LoudnessValues, RenditionEntry, Target
from psa_pipeline.records.shared import SharedPartRecord
from psa_pipeline.site.feed import _Podcast2, _Podcast2Entry
from psa_pipeline.site.pages import Choice

# pydantic reads these class attributes and fields: configuration, and the data users write in YAML.
_Strict.model_config
Strict.model_config
Record.model_config
ChannelProfile.description
Approval.approved_by
Approval.role
Manifest.schema_version
Manifest.themes

# click registers the commands through their decorators (`psa batch run`, `psa batch publish`, `psa review ...`).
batch_run
batch_publish
serve
add_reviewer_command

# pysubs2 reads an event's style when it writes the ASS file (media/captions.py).
_.style  # noqa: F821

# The one status vocabulary (core/status.py): stages and the report look members up by value.
Status.SKIPPED
Status.REFUSED
Status.FAILED

# Record API for the records the stages are moving to (renditions, publication, journal).
Record.read_if_exists

# A column of the language table: the BCP 47 tag for caption and stream metadata, kept with its data.
Language.bcp47

# Fields of renditions.json that people and other tools read (the file is the build's public record).

Captions.burned_in
RenditionEntry.limiter_db
RenditionEntry.audio_corrections
RenditionEntry.video_encodes
LoudnessValues.loudness_range_lu
Target.tolerance_lu

# pydantic runs model and field validators through their decorators.
RenditionSpec._fits_its_container
S3Destination._prefix
S3Destination._check_urls
FolderDestination._check_url

# Times in the batch journal, for people reading it and for the report.
StepOutcome.at
BatchJournal.updated_at

# Which ffmpeg made a prepared part (build/.shared/*.json), for the people who look in the build folder.
SharedPartRecord.ffmpeg

# The hash a --replace overwrote, kept in the intent record for the people who read it after a crash.
PlannedFile.old_sha256

# feedgen calls its extensions' hooks by name while writing a feed (site/feed.py).
_Podcast2.extend_ns
_Podcast2.extend_rss
_Podcast2Entry.extend_ns
_Podcast2Entry.extend_rss

# Read by the Jinja2 template psa.html (site/templates), which vulture does not see.
Choice.reshare

# httplib2 reads its module-level RETRIES on every request (publish/youtube_api.py says why it is 1).
httplib2.RETRIES

# Click calls these by name when it renders help (cli/translated.py); babel calls extract_commands, named in
# babel.cfg, and reads CLICK_HELP's msgid (the help of Click's own --help).
Context.formatter_class
_Translated.context_class
_Translated.format_usage
_Translated.format_help_text
_Translated.format_epilog
Group.command_class
Group.group_class
CLICK_HELP
extract_commands
