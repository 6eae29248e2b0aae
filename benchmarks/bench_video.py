"""Video speed: what an .mp4 adds to composing, and a 10-picture slideshow's encode.

    python benchmarks/bench_video.py [--runs 3]

(1) A 30 s piece from a 12-megapixel photo: ImageToMusic(...)(photo, duration=30) and then
    save_video(..., style) for each style (the frame is the photo's shape: 1920 px long, 1280
    for the zoom).
(2) A 60 s slideshow of 10 such photos (6 s each) with the zoom style: the music
    (slideshow()) and the video encode (result.save("show.mp4")).
Prints every run, the median and the mean, and the 1-minute load average before each run
(the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from functools import partial
from itertools import permutations
from pathlib import Path

from bench_offline import twelve_megapixel_photo
from PIL import Image, ImageOps


def ten_photos(folder: Path) -> list[Path]:
    """Ten different 12 MP JPEGs: the noisy sunset photo with its colour channels swapped
    and mirrored, so every picture differs from the one before."""
    base = Image.open(twelve_megapixel_photo(folder))
    paths = []
    for i, order in enumerate(list(permutations(range(3)))[:5] * 2):
        picture = Image.merge("RGB", [base.getchannel(c) for c in order])
        if i >= 5:
            picture = ImageOps.mirror(picture)
        paths.append(folder / f"photo{i}.jpg")
        picture.save(paths[-1], quality=92)
    return paths


def _timed(call) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds (this process and ffmpeg) and the call's value."""
    def cpu() -> float:
        own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                              resource.RUSAGE_CHILDREN))
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    start, used = time.perf_counter(), cpu()
    value = call()
    return time.perf_counter() - start, cpu() - used, value


def _line(label: str, times: list[tuple[float, float]], loads: list[float]) -> str:
    walls, cpus = [w for w, _ in times], [c for _, c in times]
    return (f"{label}: median {statistics.median(walls):.2f} s, mean "
            f"{statistics.mean(walls):.2f} s (runs: {', '.join(f'{t:.2f}' for t in walls)}; "
            f"CPU median {statistics.median(cpus):.2f} s; load before: "
            f"{', '.join(f'{x:.1f}' for x in loads)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from vistune import ImageToMusic
    from vistune.result import save_video
    from vistune.slideshow import slideshow

    pipe = ImageToMusic(engine="composer", captioner="labels", offline=True)
    sizes = {"still": "1920x1440", "zoom": "1280x960", "wave": "1920x1440"}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        photos = ten_photos(folder)
        pipe(photos[0], duration=30, seed=0)  # warm-up: loads the classifier
        compose, loads, encodes = [], [], {style: [] for style in sizes}
        for run in range(args.runs):
            loads.append(os.getloadavg()[0])
            for style, times in encodes.items():
                wall, cpu, result = _timed(partial(pipe, photos[0], duration=30, seed=run))
                compose.append((wall, cpu))
                times.append(_timed(partial(save_video, result, folder / f"{style}{run}.mp4",
                                            pictures=[photos[0]], style=style))[:2])
        print(_line("compose 30 s from a 12 MP photo", compose, loads))
        for style, times in encodes.items():
            print(_line(f"  + video, style {style}, {sizes[style]}", times, loads))

        music, video, loads = [], [], []
        for run in range(args.runs):
            loads.append(os.getloadavg()[0])
            wall, cpu, show = _timed(partial(slideshow, pipe, photos, seconds_per_image=6,
                                             seed=run))
            music.append((wall, cpu))
            video.append(_timed(partial(show.save, folder / f"show{run}.mp4",
                                        video_style="zoom"))[:2])
        print(_line("slideshow music, 10 photos x 6 s", music, loads))
        print(_line("  + video encode, zoom, 1280x960, 60 s", video, loads))


if __name__ == "__main__":
    main()
