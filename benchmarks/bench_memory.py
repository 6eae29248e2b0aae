"""Peak memory (RSS) of caption + music with the default neural architectures.

    python benchmarks/bench_memory.py [--precision auto]

Each configuration runs in a fresh process (BLIP-large captions the forest example, then
MusicGen-small makes 5 s) and reports its peak resident set size, with and without --low-memory.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def child(blip: str, musicgen: str, precision: str, low_memory: bool) -> None:
    from vistune import ImageToMusic

    pipe = ImageToMusic(captioner="blip", engine="musicgen", caption_model=blip,
                        music_model=musicgen, precision=precision, low_memory=low_memory)
    pipe(HERE.parent / "examples" / "forest.jpg", duration=5, seed=0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"precision {precision}, low_memory={low_memory}: peak RSS {peak_mb:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--child", nargs=3, metavar=("BLIP", "MUSICGEN", "LOW"))
    args = parser.parse_args()
    if args.child:
        blip, musicgen, low = args.child
        child(blip, musicgen, args.precision, low == "1")
        return
    from real_size import blip_model, musicgen_small

    with tempfile.TemporaryDirectory() as tmp:
        blip = blip_model(Path(tmp) / "blip")
        musicgen = musicgen_small(Path(tmp) / "musicgen")
        for low in ("0", "1"):
            subprocess.run([sys.executable, __file__, "--precision", args.precision, "--child",
                            str(blip), str(musicgen), low], check=True)


if __name__ == "__main__":
    main()
