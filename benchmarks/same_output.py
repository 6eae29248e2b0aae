"""Hashes of what users get for a fixed set of inputs, so a refactor can prove it changed nothing.

Runs the ``vistune`` command as users do (offline composer over the examples, three styles, two
seeds, a loop, stems, MIDI, a slideshow, and a tiny MusicGen built from configs) and prints one
SHA-256 per file written: audio, MIDI and the sidecar JSON without its version field.

    python benchmarks/same_output.py > before.txt      # on the old code
    python benchmarks/same_output.py > after.txt       # on the new code
    diff before.txt after.txt                          # empty: nothing a user gets changed
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
VARYING = ("vistune_version",)  # sidecar fields that name the release, not the music

RUNS = {  # name -> vistune arguments (paths relative to the examples folder)
    "forest": ["compose", "forest.jpg", "--duration", "12"],
    "sunset-seed7": ["compose", "sunset.jpg", "--duration", "12", "--seed", "7"],
    "city-jazz": ["compose", "city_night.jpg", "--duration", "10", "--style", "jazz", "--midi"],
    "forest-rock": ["compose", "forest.jpg", "--duration", "10", "--style", "rock", "--seed", "3"],
    "sunset-electronic": ["compose", "sunset.jpg", "--duration", "10", "--style",
                          "electronic", "--stems"],
    "city-loop": ["compose", "city_night.jpg", "--duration", "8", "--loop", "--midi"],
    "variations": ["compose", "forest.jpg", "--duration", "6", "--variations", "2"],
    "slideshow": ["slideshow", "forest.jpg", "sunset.jpg", "city_night.jpg",
                  "--seconds-per-image", "5", "--audio-only", "--midi"],
}


def digest(path: Path, folder: Path) -> str:
    """SHA-256 of a written file; a sidecar is hashed without its release fields and with the
    temporary folder's name taken out."""
    if path.suffix == ".json":
        text = path.read_text().replace(str(folder), "TMP")
        data = {k: v for k, v in json.loads(text).items() if k not in VARYING}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(name: str, args: list[str], folder: Path) -> list[str]:
    """Run one command into its own folder and return a line per file it wrote."""
    out = folder / name
    out.mkdir()
    target = out / ("music.wav" if "--variations" not in args else "takes")
    command = ["vistune", *args, "-o", str(target), "--offline"]
    done = subprocess.run(command, cwd=EXAMPLES, capture_output=True, text=True, timeout=600)
    if done.returncode:
        sys.exit(f"{name} failed: {done.stderr.strip()}")
    return [f"{name}/{p.relative_to(out)} {digest(p, folder)}"
            for p in sorted(out.rglob("*")) if p.is_file()]


def tiny_musicgen(folder: Path) -> list[str]:
    """The neural path with a tiny MusicGen built from configs (tests/tiny_models.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from tiny_models import build_musicgen

    model = build_musicgen(folder / "model")
    return run("tiny-musicgen", ["compose", "forest.jpg", "--duration", "3", "--engine",
                                 "musicgen", "--music-model", str(model), "--captioner",
                                 "labels", "--backend", "torch", "--seed", "5"], folder)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        lines = [line for name, args in RUNS.items() for line in run(name, args, folder)]
        lines += tiny_musicgen(folder)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
