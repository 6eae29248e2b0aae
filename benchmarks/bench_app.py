"""Web app: time from clicking Compose to a playable <audio>.

    python benchmarks/bench_app.py [--runs 5]             # offline engine, 30 s of music
    python benchmarks/bench_app.py --musicgen [--runs 3]  # MusicGen-small, 10 s: first audio

Starts `vistune app` on a free localhost port and drives Debian's headless Chromium with
Playwright. The first click also loads the models; the median is over the clicks after it.
With --musicgen (a randomly initialised MusicGen-small, benchmarks/real_size.py) each click is
on a fresh page and two times are taken: to the first playable <audio> (the preview that
plays while MusicGen works) and to the finished piece.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--musicgen", action="store_true")
    args = parser.parse_args()
    if args.musicgen:
        import tempfile

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from real_size import musicgen_small

        with tempfile.TemporaryDirectory() as tmp:
            model = musicgen_small(Path(tmp) / "musicgen")
            run_app(["--engine", "musicgen", "--music-model", str(model), "--captioner",
                     "labels", "--duration", "10"], args.runs, fresh_pages=True)
    else:
        run_app([], args.runs, fresh_pages=False)


def run_app(options: list[str], runs: int, *, fresh_pages: bool) -> None:
    """Start `vistune app OPTIONS` and time Compose clicks."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "vistune.cli", "app", "--port", str(port),
                               "--host", "127.0.0.1", *options],
                              env={**os.environ, "HF_HUB_OFFLINE": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        first, times = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page()
            for run in range(runs + 1):
                if fresh_pages or run == 0:
                    page.goto(url)
                    page.get_by_role("button", name="Compose").wait_for(timeout=60_000)
                    page.set_input_files("input[type=file]",
                                         str(ROOT / "examples" / "forest.jpg"))
                page.get_by_label("Seed").fill(str(run))
                page.keyboard.press("Enter")
                page.wait_for_timeout(1500)
                start = time.perf_counter()
                page.get_by_role("button", name="Compose").click()
                if fresh_pages:  # nothing played on this page yet: the first <audio> is new
                    page.wait_for_selector("audio[src]", timeout=300_000)
                    heard = time.perf_counter() - start
                # The history line follows the new player in the same script run.
                done = run + 1 if not fresh_pages else 1
                page.get_by_text(f"This session's music ({done})").wait_for(timeout=300_000)
                assert page.locator("audio[src]").count() >= 1
                if run:
                    times.append(time.perf_counter() - start)
                    if fresh_pages:
                        first.append(heard)
            browser.close()
        if first:
            print(f"click -> first playable audio: median {statistics.median(first):.2f} s "
                  f"(runs: {', '.join(f'{t:.2f}' for t in first)})")
        print(f"click -> finished piece: median {statistics.median(times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)}) with {options or 'defaults'}")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
