"""Several users at once: each gets its own, correct result; the shared models stay sound.

Four real browser sessions against one app server are in test_browser.py.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from conftest import EXAMPLES

JOBS = [("forest.jpg", 1), ("sunset.jpg", 2), ("city_night.jpg", 3), ("forest.jpg", 4)]


def test_one_pipeline_shared_by_four_threads(offline_pipe):
    def run(job):
        name, seed = job
        return offline_pipe(EXAMPLES / name, duration=3, seed=seed)

    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(run, JOBS))
    alone = [run(job) for job in JOBS]
    for a, b in zip(together, alone, strict=True):
        assert a.caption == b.caption and np.array_equal(a.audio, b.audio)
