"""Web app: time from clicking Compose to a playable <audio>, offline engine, 30 s of music.

    python benchmarks/bench_app.py [--runs 5]

Starts `vistune app` on a free localhost port and drives Debian's headless Chromium with
Playwright. The first click also loads the classifier; the median is over the clicks after it.
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
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "vistune.cli", "app", "--port", str(port),
                               "--host", "127.0.0.1"], env={**os.environ, "HF_HUB_OFFLINE": "1"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        times = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            page = browser.new_page()
            page.goto(url)
            page.get_by_role("button", name="Compose").wait_for(timeout=60_000)
            page.set_input_files("input[type=file]", str(ROOT / "examples" / "forest.jpg"))
            for run in range(args.runs + 1):
                page.get_by_label("Seed").fill(str(run))
                page.keyboard.press("Enter")
                page.wait_for_timeout(1500)
                start = time.perf_counter()
                page.get_by_role("button", name="Compose").click()
                # The history line follows the new player in the same script run.
                page.get_by_text(f"This session's music ({run + 1})").wait_for(timeout=120_000)
                assert page.locator("audio[src]").count() >= 1
                if run:
                    times.append(time.perf_counter() - start)
            browser.close()
        print(f"click -> playable audio, 30 s offline: median {statistics.median(times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)})")
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
