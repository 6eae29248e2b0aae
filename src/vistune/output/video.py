"""Pictures + music -> MP4: H.264 (yuv420p) and AAC, with the ffmpeg that imageio-ffmpeg ships.

The pictures are laid out once in Python (fitted to the frame over a blurred copy of
themselves); everything per frame happens inside ffmpeg's filter graph (looping a still,
the slow zoom, crossfades), so only the small waveform strip of the ``wave`` style is drawn in
Python and piped in. ``pip`` alone installs the encoder (the imageio-ffmpeg wheel carries a
static ffmpeg for Linux, macOS and Windows); a system ffmpeg is never used.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, NamedTuple

import numpy as np
from PIL import Image, ImageFilter

from ..callbacks import Progress
from ..errors import InputError, OutputError
from .files import atomic_write, check_targets

if TYPE_CHECKING:
    from ..see.image import Picture

VIDEO_STYLES = ("still", "zoom", "wave")
#: Named frame sizes accepted by ``size`` besides "WIDTHxHEIGHT".
SIZE_NAMES = {"vertical": (1080, 1920), "square": (1080, 1080), "landscape": (1920, 1080)}
MAX_SIDE = 1920  # longest side of the frame when no size is given
ZOOM_SIDE = 1280  # the same for the zoom style, where every frame moves: 2.25x fewer pixels
SIDE_RANGE = (64, 3840)
FPS = 24
CROSSFADE = 1.0  # seconds over which one picture dissolves into the next
ZOOM = 1.08  # the Ken Burns zoom moves between 1x and this scale over each picture
_PRESETS = {"still": "veryfast", "wave": "veryfast", "zoom": "superfast"}  # see BENCHMARKS.md
SEGMENT = 2 * FPS  # frames of the GOP a still video repeats (a keyframe every 2 s)
_AUDIO_CODECS = ["-c:a", "aac", "-b:a", "192k", "-ar", "48000"]
_FFMPEG_START = ["-hide_banner", "-loglevel", "error", "-nostats", "-y"]
#: Tags the frames BT.709, limited range (what the pictures are converted to).
_COLOUR = "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"


def parse_size(text: str | None) -> tuple[int, int] | None:
    """``"1080x1920"`` (or "vertical", "square", "landscape") -> (width, height); None -> None.

    >>> parse_size("1080x1920"), parse_size("square"), parse_size(None)
    ((1080, 1920), (1080, 1080), None)
    """
    if text is None:
        return None
    named = SIZE_NAMES.get(str(text).strip().lower())
    match = re.fullmatch(r"\s*(\d+)\s*[xX\u00d7]\s*(\d+)\s*", str(text))
    if named is None and match is None:
        raise InputError(f"unknown size {text!r}; write WIDTHxHEIGHT such as 1080x1920, or one "
                         f"of: {', '.join(SIZE_NAMES)}")
    width, height = named or (int(match[1]), int(match[2]))
    low, high = SIDE_RANGE
    if not (low <= width <= high and low <= height <= high) or width % 2 or height % 2:
        raise InputError(f"size {text!r} needs even width and height from {low} to {high} "
                         "pixels (H.264 in yuv420p), e.g. 1080x1920")
    return width, height


def video_files(path: str | Path, *, midi: bool = False, overwrite: bool = False) -> list[Path]:
    """The files a video save writes: the .mp4, its JSON sidecar, and MIDI if asked.

    Raises OutputError for another extension or an existing file (unless ``overwrite``).
    """
    path = Path(path).expanduser()
    if path.suffix.lower() != ".mp4":
        raise OutputError(f"{path.name!r} is not a video name; use .mp4, e.g. "
                          f"{path.with_suffix('.mp4').name}")
    files = [path, path.with_suffix(".json")] + ([path.with_suffix(".mid")] if midi else [])
    check_targets(files, overwrite=overwrite)
    return files


def write_video(path: str | Path, pictures: Sequence[Image.Image | Picture], audio: np.ndarray,
                rate: int, *, starts: Sequence[float] = (0.0,), style: str = "still",
                size: str | tuple[int, int] | None = None, overwrite: bool = False,
                progress: Progress | None = None) -> tuple[int, int]:
    """Encode ``audio`` ((channels, samples) float at ``rate``) with ``pictures`` into an MP4
    at ``path``, written atomically (an existing file is replaced only with ``overwrite``).
    Returns the frame's (width, height).

    Picture ``i`` is shown from ``starts[i]`` seconds, dissolving into the next over
    ``CROSSFADE`` seconds centred on the cut. ``style``: "still", "zoom" (a slow Ken Burns zoom,
    in on one picture and out on the next) or "wave" (a subtle waveform along the bottom that
    lights up as the music plays). ``size``: "WIDTHxHEIGHT" (pictures fitted over a blurred
    fill, never stretched); by default the first picture's shape, at most ``MAX_SIDE`` pixels
    long (``ZOOM_SIDE`` for the zoom, which costs far more per frame).
    The video lasts exactly as long as the audio.
    """
    if style not in VIDEO_STYLES:
        raise InputError(f"unknown video style {style!r}; choose one of: "
                         f"{', '.join(VIDEO_STYLES)}")
    frame = size if isinstance(size, tuple) else parse_size(size)
    audio = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    seconds = audio.shape[-1] / rate
    if not pictures or len(starts) != len(pictures):
        raise InputError(f"{len(pictures)} picture(s) and {len(starts)} start time(s); give "
                         "one start time per picture")
    frames = round(seconds * FPS)
    cuts = [round(s * FPS) for s in starts]
    bounds = [*cuts, frames]
    if cuts[0] != 0 or any(b - a < 2 for a, b in zip(bounds, bounds[1:], strict=False)):
        raise InputError(f"start times {list(starts)} must begin at 0 and rise, each picture "
                         f"shown for at least 2 frames within the {seconds:.2f} s of music")
    images = [getattr(p, "image", p) for p in pictures]
    frame = frame or _natural_size(images[0].size, ZOOM_SIDE if style == "zoom" else MAX_SIDE)
    plan = _Plan(cuts=cuts, frames=frames, size=frame, style=style)
    report = progress or _ignore
    with tempfile.TemporaryDirectory(prefix="vistune-video-") as folder:
        inputs = []
        for i, image in enumerate(images):
            canvas = _canvas(image, frame, scale=ZOOM if style == "zoom" else 1.0)
            raw = Path(folder) / f"picture{i}.rgb"
            raw.write_bytes(canvas.tobytes())
            inputs += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "{}x{}".format(*canvas.size),
                       "-framerate", str(FPS), "-i", str(raw)]
        sound = Path(folder) / "music.wav"
        _write_wav(sound, audio, rate)
        if style == "still" and len(images) == 1:
            report(0, frames, "encoding video")
            stream, music = _still_parts(Path(folder), inputs, sound, frames, seconds)
            report(frames * 3 // 4, frames, "encoding video")
            atomic_write(Path(path), lambda temp: _mux(stream, music, temp), overwrite=overwrite)
            report(frames, frames, "encoding video")
            return frame
        strip = _wave_strips(audio, frame) if style == "wave" else None
        if strip is not None:
            high, wide = strip.played.shape[:2]
            inputs += ["-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{wide}x{high}",
                       "-framerate", str(FPS), "-i", "pipe:0"]
        inputs += ["-i", str(sound)]
        command = [*_FFMPEG_START, *inputs, "-filter_complex", plan.graph(strip), "-map", "[v]",
                   "-map", f"{len(images) + (strip is not None)}:a", *_video_codecs(style),
                   *_AUDIO_CODECS, "-movflags", "+faststart", "-t", f"{seconds:.6f}",
                   "-progress", "pipe:1", "-f", "mp4"]
        atomic_write(Path(path), lambda temp: _run([_ffmpeg(), *command, str(temp)], strip,
                                                   frames, report), overwrite=overwrite)
    return frame


def _still_parts(folder: Path, picture: list[str], sound: Path, frames: int,
                 seconds: float) -> tuple[Path, Path]:
    """A still picture's H.264 stream and AAC audio, without encoding every frame.

    One ffmpeg run encodes a ``SEGMENT``-frame GOP, one shorter GOP for the frames left over,
    and the audio (in parallel); the GOP is then repeated, byte for byte, as often as it fits.
    Every frame of a still is the same, so this decodes to the frames a full encode would give
    for a fraction of x264's work (see BENCHMARKS.md), with a keyframe every ``SEGMENT``
    frames. Returns the raw H.264 (Annex B) stream and the audio file.
    """
    repeats, rest = divmod(frames, SEGMENT)
    lengths = [SEGMENT] * (repeats > 0) + [rest] * (rest > 0)
    names = [folder / f"segment{n}.h264" for n in lengths]
    chain = (f"[0:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
             f"loop=loop={max(lengths) - 1}:size=1,settb=1/{FPS},setpts=N,{_COLOUR},"
             f"split={len(lengths)}" + "".join(f"[s{i}]" for i in range(len(lengths))))
    outputs = []
    for i, (length, name) in enumerate(zip(lengths, names, strict=True)):
        # No B-frames: they gain nothing on a still, and without them frames are stored in
        # display order, so the raw stream's timestamps are simply frame numbers.
        outputs += ["-map", f"[s{i}]", "-frames:v", str(length), *_video_codecs("still"),
                    "-bf", "0", "-f", "h264", str(name)]
    music = folder / "music.m4a"
    outputs += ["-map", "1:a", *_AUDIO_CODECS, "-t", f"{seconds:.6f}", "-f", "mp4", str(music)]
    _run([_ffmpeg(), *_FFMPEG_START, *picture, "-i", str(sound), "-filter_complex", chain,
          *outputs], None, frames, _ignore)
    # Each segment starts with its own parameter sets and an IDR frame, so their
    # concatenation is a valid stream.
    stream = folder / "video.h264"
    with stream.open("wb") as out:
        segment = names[0].read_bytes()
        for _ in range(repeats):  # one copy in memory, however long the video
            out.write(segment)
        if rest:
            out.write(names[-1].read_bytes())
    return stream, music


def _mux(stream: Path, music: Path, target: Path) -> None:
    """Put a raw H.264 stream (at ``FPS``) and the audio in an MP4 by stream copy, the moov
    atom first."""
    _run([_ffmpeg(), *_FFMPEG_START, "-framerate", str(FPS), "-f", "h264", "-i", str(stream),
          "-i", str(music), "-map", "0:v", "-map", "1:a", "-c", "copy",
          # Frame n at exactly n / FPS s (the raw stream's own clock drifts by a tick).
          "-bsf:v", f"setts=ts=N/({FPS}*TB):duration=1/({FPS}*TB)",
          "-video_track_timescale", str(FPS * 512), "-movflags", "+faststart", "-f", "mp4",
          str(target)], None, 0, _ignore)


def _ignore(done: int, total: int, stage: str) -> None:
    return None


def _ffmpeg() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise OutputError("videos need imageio-ffmpeg: pip install imageio-ffmpeg") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def _video_codecs(style: str) -> list[str]:
    """H.264 High in yuv420p (with AAC audio and the moov atom first: plays in browsers and
    on phones, and starts before it has fully downloaded)."""
    tune = ["-tune", "stillimage"] if style != "zoom" else []
    return ["-c:v", "libx264", "-preset", _PRESETS[style], *tune, "-crf", "21",
            "-pix_fmt", "yuv420p", "-profile:v", "high"]


def _natural_size(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """The picture's own shape: its size at most ``longest``, at least 64 short, even."""
    width, height = size
    scale = min(1.0, longest / max(width, height))
    scale = max(scale, SIDE_RANGE[0] / min(width, height))
    return (max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2))


def _canvas(image: Image.Image, size: tuple[int, int], *, scale: float = 1.0) -> Image.Image:
    """``image`` fitted inside ``size`` * ``scale`` over a blurred, darkened copy that fills it.

    A picture of the frame's own shape (within 2 %) is scaled to fill it exactly instead.
    """
    width, height = round(size[0] * scale), round(size[1] * scale)
    ratio = (image.width / image.height) / (width / height)
    if abs(ratio - 1) < 0.02:
        return image.resize((width, height), Image.Resampling.LANCZOS)
    cover = max(width / image.width, height / image.height)
    # Blur a small copy, then enlarge it: the same soft fill at a fraction of the cost.
    small = image.resize((max(1, round(image.width * cover / 8)),
                          max(1, round(image.height * cover / 8))), Image.Resampling.BILINEAR)
    small = small.filter(ImageFilter.GaussianBlur(radius=max(2, width // 160)))
    fill = small.resize((round(image.width * cover), round(image.height * cover)),
                        Image.Resampling.BILINEAR)
    left, top = (fill.width - width) // 2, (fill.height - height) // 2
    canvas = fill.crop((left, top, left + width, top + height)).point(lambda v: int(v * 0.55))
    fit = min(width / image.width, height / image.height)
    shown = image.resize((max(1, round(image.width * fit)), max(1, round(image.height * fit))),
                         Image.Resampling.LANCZOS)
    canvas.paste(shown, ((width - shown.width) // 2, (height - shown.height) // 2))
    return canvas


class _Plan:
    """Frame numbers of the cuts and the ffmpeg filter graph that lays the pictures out."""

    def __init__(self, *, cuts: list[int], frames: int, size: tuple[int, int], style: str):
        self.frames, self.size, self.style = frames, size, style
        shortest = min(b - a for a, b in zip(cuts, [*cuts[1:], frames], strict=True))
        half = max(1, min(round(CROSSFADE * FPS / 2), shortest // 3))
        self.fade = 2 * half
        # Picture i is on screen (alone or dissolving) from starts[i] to ends[i], in frames.
        self.starts = [0] + [c - half for c in cuts[1:]]
        self.ends = [c + half for c in cuts[1:]] + [frames]

    def graph(self, strip: _Strip | None) -> str:
        """The -filter_complex text: each picture looped (and zoomed), dissolved into the
        next, the waveform strip (input after the pictures) laid over the bottom."""
        width, height = self.size
        pixels = "yuv444p" if self.style == "zoom" else "yuv420p"
        chains = []
        for i, (start, end) in enumerate(zip(self.starts, self.ends, strict=True)):
            count = end - start
            # Convert once to yuv (BT.709) before looping, so no frame pays for it again; the
            # zoom crops whole pixels, which needs full-resolution colour until the end.
            chain = (f"[{i}:v]scale=out_color_matrix=bt709:out_range=tv,format={pixels},"
                     f"loop=loop={count - 1}:size=1,settb=1/{FPS},setpts=N")
            if self.style == "zoom":
                # Zoom in on even pictures and out on odd ones. Sizes and crops are whole
                # pixels, so the zoom moves in steps of about a pixel at the frame's edges.
                grow = f"(1+{ZOOM - 1:.4f}*" + (f"n/{count})" if i % 2 == 0
                                                 else f"(1-n/{count}))")
                chain += (f",scale=w='2*trunc({width}*{grow}/2+0.5)':"
                          f"h='2*trunc({height}*{grow}/2+0.5)':eval=frame:flags=bilinear,"
                          f"crop={width}:{height}")
            chains.append(chain + f"[p{i}]")
        last = "p0"
        for i in range(1, len(self.starts)):
            chains.append(f"[{last}][p{i}]xfade=transition=fade:duration={self.fade / FPS:.6f}:"
                          f"offset={self.starts[i] / FPS:.6f}[x{i}]")
            last = f"x{i}"
        if strip is not None:
            top = height - strip.played.shape[0]
            chains.append(f"[{last}][{len(self.starts)}:v]overlay=x=0:y={top}:format=yuv420[w]")
            last = "w"
        chains.append(f"[{last}]format=yuv420p,{_COLOUR}[v]")
        return ";".join(chains)


class _Strip(NamedTuple):
    """The wave style's overlay: RGBA strips and the columns the bars span."""

    played: np.ndarray
    unplayed: np.ndarray
    left: int
    right: int


def _wave_strips(audio: np.ndarray, size: tuple[int, int]) -> _Strip:
    """Played and unplayed RGBA strips for the bottom of the frame: thin bars as tall as the
    music is loud (RMS) over a soft shadow; the bars already played are brighter."""
    width, height = size
    strip_h = max(8, height // 7 // 2 * 2)
    margin = width // 25
    pitch = max(3, (width - 2 * margin) // 160)
    count = (width - 2 * margin) // pitch
    mono = np.asarray(audio, dtype=np.float64).mean(axis=0)
    edges = np.linspace(0, mono.size, count + 1).astype(int)
    level = np.sqrt(np.add.reduceat(mono ** 2, edges[:-1]) / np.maximum(np.diff(edges), 1))
    level = level / max(float(level.max()), 1e-9)
    columns = np.zeros(width)
    columns[margin:margin + count * pitch] = np.repeat(level, pitch)
    is_bar = np.zeros(width, dtype=bool)
    is_bar[margin:margin + count * pitch] = np.arange(count * pitch) % pitch < max(1, pitch // 2)
    middle, reach = strip_h * 0.6, strip_h * 0.2
    rows = np.abs(np.arange(strip_h)[:, None] + 0.5 - middle)
    wave = is_bar[None, :] & (rows <= np.maximum(columns[None, :] * reach, 1.0))
    shadow = np.linspace(0, 90, strip_h)[:, None].repeat(width, axis=1)
    strips = []
    for alpha in (190, 70):
        rgba = np.zeros((strip_h, width, 4), dtype=np.uint8)
        rgba[..., :3] = np.where(wave[..., None], 255, 0)
        rgba[..., 3] = np.where(wave, alpha, shadow).astype(np.uint8)
        strips.append(rgba)
    return _Strip(strips[0], strips[1], margin, margin + count * pitch)


def _write_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    import soundfile

    soundfile.write(path, audio.T, rate, format="WAV", subtype="FLOAT")


def _run(command: list[str], strip: _Strip | None, total: int, progress: Progress) -> None:
    """Run ffmpeg, feeding the waveform strips (if any) and reporting frames done (of
    ``total``) from its ``-progress pipe:1`` lines, when it writes them."""
    with tempfile.TemporaryFile() as errors, tempfile.TemporaryFile() as report:
        process = subprocess.Popen(command, stdin=subprocess.PIPE if strip else
                                   subprocess.DEVNULL, stdout=report if strip else
                                   subprocess.PIPE, stderr=errors)
        try:
            progress(0, total, "encoding video")
            if strip is not None:
                _feed(process.stdin, strip, total, progress)
            else:
                for line in process.stdout:
                    if line.startswith(b"frame="):
                        progress(min(int(line[6:]), total), total, "encoding video")
            code = process.wait()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if code != 0:
            errors.seek(0)
            lines = errors.read().decode("utf-8", "replace").strip().splitlines()
            raise OutputError(f"ffmpeg could not make the video ({lines[-1] if lines else code})"
                              "; check free space, or report it with VISTUNE_DEBUG=1")
        progress(total, total, "encoding video")


def _feed(pipe: IO[bytes], strip: _Strip, total: int, progress: Progress) -> None:
    try:
        for n in range(total):
            cut = strip.left + round((strip.right - strip.left) * (n + 0.5) / total)
            frame = strip.unplayed.copy()
            frame[:, :cut] = strip.played[:, :cut]
            pipe.write(frame.tobytes())
            if n % FPS == 0:
                progress(n, total, "encoding video")
        pipe.close()
    except BrokenPipeError:  # ffmpeg stopped early; its own message says why
        pass
