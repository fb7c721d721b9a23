"""The picture side of the render plan: each source made upright, square-pixelled, progressive, SDR,
timed against the sound, fitted to a channel's frame, then cards, logo and burned text on top.

Pure like plan.py: only numbers computed here go into the filtergraph. The sound side of the
graph (program_graph in plan.py) is not touched here.

Timing: ffmpeg shifts every stream of an input by the same amount (the file's start time), so
the picture's own timestamps already say where it sits against its sound. The chain keeps them
(no `setpts=PTS-STARTPTS`, which would pull a late-starting picture forward) and lets
`fps=...:start_time=0` fill the head with the first frame and conform variable frame rates by
timestamp; `tpad` clones the last frame when the picture ends before the sound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from psa_pipeline.core.i18n import _
from psa_pipeline.media import captions
from psa_pipeline.media.probe import INTERLACED_ORDERS, Stream

if TYPE_CHECKING:
    from psa_pipeline.build.plan import PsaPlan, Rendition

CARD_COLOUR = "0x0B3D91"
ASS_NAME = "r{index}.ass"
# HDR (PQ or HLG) to SDR BT.709: linearise, tone-map with Hable (keeps highlights, no clipping),
# back to BT.709 in TV range. zscale reads the source's transfer and primaries from each frame.
TONEMAP = (
    "zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,tonemap=tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv"
)
SDR_TAGS = "setparams=range=tv:color_primaries=bt709:color_trc=bt709:colorspace=bt709"
DEINTERLACE = "bwdif=mode=send_frame:parity=auto:deint=all"


@dataclass(frozen=True)
class Fit:
    """How a picture of `shown` display size sits in a `frame`: scaled size and, for blur, the cover size."""

    frame: tuple[int, int]
    inner: tuple[int, int]  # the whole picture, never stretched
    cover: tuple[int, int]  # the picture scaled to fill the frame (cropped), for a blurred background


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def fit(shown: tuple[int, int], frame: tuple[int, int]) -> Fit:
    """Scale `shown` (display width, height) into `frame` keeping its shape: pillarbox/letterbox sizes."""
    (width, height), (frame_w, frame_h) = shown, frame
    inside = min(frame_w / width, frame_h / height)
    outside = max(frame_w / width, frame_h / height)
    inner = (min(frame_w, _even(width * inside)), min(frame_h, _even(height * inside)))
    cover = (max(frame_w, _even(width * outside)), max(frame_h, _even(height * outside)))
    return Fit(frame, inner, cover)


def frame_size(width: int, height: int, orientation: str, source: Stream | None) -> tuple[int, int]:
    """The channel's frame, turned upright when it follows the source and the source is portrait."""
    shown = source.display_size if source else None
    portrait = bool(shown and shown[1] > shown[0])
    if orientation == "source" and portrait and width > height:
        return height, width
    return width, height


def picture_notes(stream: Stream) -> list[str]:
    """What `conform` and `fitted` correct in this picture, in words for the build log."""
    notes = []
    if stream.rotation:
        notes.append(_("turned upright (display matrix: {degrees} degrees)").format(degrees=stream.rotation))
    if abs(stream.sample_aspect - 1) > 0.01 and stream.display_size:
        width, height = stream.display_size
        notes.append(_("non-square pixels, shown as {width}x{height}").format(width=width, height=height))
    if stream.start > 0.0005:
        notes.append(
            _("picture starts at {seconds:.3f} s: held on its first frame until then").format(seconds=stream.start)
        )
    if stream.variable_frame_rate:
        notes.append(_("variable frame rate: conformed by timestamp"))
    if stream.interlaced:
        found = stream.field_order if stream.field_order in INTERLACED_ORDERS else "idet"
        notes.append(_("interlaced ({order}): deinterlaced").format(order=found))
    if stream.hdr:
        notes.append(
            _("HDR ({transfer}, {format}): tone-mapped to BT.709 8-bit").format(
                transfer=stream.color_transfer, format=stream.pix_fmt
            )
        )
    return notes


def conform(source: Stream | None, content: float, fps: float) -> str:
    """Filters that make the source progressive, SDR, square-pixelled and `content` seconds at `fps`."""
    steps = []
    if source is not None and source.interlaced:
        steps.append(DEINTERLACE)
    if source is not None and source.hdr:
        steps.append(TONEMAP)
    steps.append(f"fps={fps:g}:start_time=0")
    # The picture may end before the sound (a cut-short edit): hold its last frame, never cut the sound.
    steps.append(f"tpad=stop_mode=clone:stop_duration={content:.3f}")
    steps.append(f"trim=end={content:.3f}")
    return ",".join(steps)


def fitted(stream: Stream | None, source: str, k: int, frame: tuple[int, int], blur: bool) -> list[str]:
    """Chains from `source` (conformed) to [body{k}]: the picture in the frame, padded or over a blur."""
    width, height = frame
    shown = stream.display_size if stream else None
    if shown is None:
        scale = f"scale={width}:{height}:force_original_aspect_ratio=decrease"
        cover = f"scale={width}:{height}:force_original_aspect_ratio=increase"
    else:
        box = fit(shown, frame)
        # Exact sizes from the display geometry: anamorphic pixels and rotation are already accounted for.
        scale = f"scale={box.inner[0]}:{box.inner[1]}"
        cover = f"scale={box.cover[0]}:{box.cover[1]}"
    if blur:
        return [
            f"{source}split[bg{k}][fg{k}]",
            f"[bg{k}]{cover},setsar=1,crop={width}:{height},boxblur=20:2,setsar=1[bgb{k}]",
            f"[fg{k}]{scale},setsar=1[fgs{k}]",
            f"[bgb{k}][fgs{k}]overlay=(W-w)/2:(H-h)/2,format=yuv420p[body{k}]",
        ]
    return [f"{source}{scale},setsar=1,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,format=yuv420p[body{k}]"]


def cards(plan: PsaPlan) -> list[captions.Card]:
    """The title card while the intro jingle plays (video only) and the end card after the content."""
    m, line = plan.manifest, plan.timeline
    found = []
    if plan.manifest.kind == "video" and line.content_start > 0:
        found.append(captions.Card(0.0, line.content_start, m.title, m.agency.name))
    end_start = line.content_start + line.content if m.kind == "video" else line.audio_end
    if m.end_card is not None:
        found.append(captions.Card(end_start, line.total, m.end_card.text, m.agency.name))
    return found


def audiogram_header(plan: PsaPlan) -> captions.Card | None:
    """The audiogram's still card: agency and title over the waveform while the drama plays."""
    if plan.manifest.kind == "video":
        return None
    m = plan.manifest
    return captions.Card(0.0, plan.timeline.audio_end, m.title, m.agency.name)


def video_chain(plan: PsaPlan, r: Rendition, k: int, source: str, index: dict[str, int]) -> list[str]:
    """Every filter chain of rendition `k`'s picture, from `source` to [v{k}]."""
    assert r.size is not None and r.spec.video is not None
    width, height = r.size
    fps = r.spec.video.fps
    line = plan.timeline
    chains: list[str] = []
    if plan.manifest.kind == "video":
        stream = plan.inputs.video.info.video if plan.inputs.video else None
        chains.append(f"{source}{conform(stream, line.content, fps)}[conf{k}]")
        chains += fitted(stream, f"[conf{k}]", k, (width, height), r.spec.video.fit == "blur")
        pieces = []
        if line.content_start > 0:
            chains.append(
                f"color=c={CARD_COLOUR}:s={width}x{height}:r={fps}:d={line.content_start:.3f},format=yuv420p[open{k}]"
            )
            pieces.append(f"[open{k}]")
        pieces.append(f"[body{k}]")
        tail = line.total - line.content_start - line.content
        if tail > 0.001:
            chains.append(f"color=c={CARD_COLOUR}:s={width}x{height}:r={fps}:d={tail:.3f},format=yuv420p[close{k}]")
            pieces.append(f"[close{k}]")
        chains.append(f"{''.join(pieces)}concat=n={len(pieces)}:v=1:a=0,setsar=1[pic{k}]")
        card_start = line.content_start + line.content
    else:
        wave_h = height // 4 // 2 * 2
        chains.append(f"color=c={CARD_COLOUR}:s={width}x{height}:r={fps}:d={line.total:.3f},format=yuv420p[canvas{k}]")
        chains.append(
            f"{source}atrim=0:{line.total:.3f},showwaves=s={width}x{wave_h}:mode=cline:rate={fps}:colors=0xFFFFFF,"
            f"format=yuva420p[wave{k}]"
        )
        chains.append(f"[canvas{k}][wave{k}]overlay=0:(H-h)/2:eof_action=pass[pic{k}]")
        card_start = line.audio_end
    picture = f"[pic{k}]"
    if "logo" in index and plan.manifest.end_card is not None:
        logo_h = height // 6 // 2 * 2
        chains.append(f"[logo{k}]scale=-2:{logo_h}[logos{k}]")
        chains.append(f"{picture}[logos{k}]overlay=(W-w)/2:H*0.12:enable='gte(t,{card_start:.3f})'[pl{k}]")
        picture = f"[pl{k}]"
    chains.append(f"{picture}subtitles=filename={ASS_NAME.format(index=k)},format=yuv420p,{SDR_TAGS}[v{k}]")
    return chains
