"""Model registry, cache detection and downloads. Only the hub itself is faked here."""

from __future__ import annotations

import pytest
from huggingface_hub import constants

from vistune import ImageToMusic, ModelUnavailable
from vistune.cli.main import main
from vistune.runtime.models import (
    DEFAULT_MUSIC_MODEL,
    KNOWN_MODELS,
    can_load,
    download,
    is_cached,
    pick_device,
)


def _fake_cache(root, repo: str, files: list[str]) -> None:
    """The Hugging Face cache layout: models--org--name/{refs/main, snapshots/<sha>/...}."""
    folder = root / ("models--" + repo.replace("/", "--"))
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text("abc123")
    snapshot = folder / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    for name in files:
        (snapshot / name).write_text("{}")


def test_cached_needs_config_and_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    _fake_cache(tmp_path, "facebook/musicgen-small", ["config.json", "model.safetensors"])
    _fake_cache(tmp_path, "Salesforce/blip-image-captioning-large", ["config.json"])
    assert is_cached("facebook/musicgen-small")
    assert not is_cached("Salesforce/blip-image-captioning-large")  # no weights yet
    assert not is_cached("facebook/musicgen-large")
    notes = []
    pipe = ImageToMusic(offline=True, notify=notes.append)
    assert pipe.engine_name == "musicgen" and pipe.captioner_name == "labels"
    assert "musicgen (facebook/musicgen-small)" in notes[0]


def test_offline_never_counts_the_hub(monkeypatch):
    monkeypatch.setattr("vistune.runtime.models.hub_reachable", lambda timeout=2.0: True)
    assert can_load("facebook/musicgen-medium")
    assert not can_load("facebook/musicgen-medium", offline=True)


def test_download_fetches_one_copy_of_the_weights(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("vistune.runtime.models.hub_reachable", lambda timeout=2.0: True)
    calls = {}
    monkeypatch.setattr("huggingface_hub.HfApi.list_repo_files",
                        lambda self, name: ["config.json", "model.safetensors",
                                            "pytorch_model.bin", "tokenizer.json"])

    def snapshot(name, allow_patterns):
        calls[name] = allow_patterns
        return str(tmp_path)

    monkeypatch.setattr("huggingface_hub.snapshot_download", snapshot)
    assert download(DEFAULT_MUSIC_MODEL) == tmp_path
    assert "*.safetensors" in calls[DEFAULT_MUSIC_MODEL]
    assert "*.bin" not in calls[DEFAULT_MUSIC_MODEL]


def test_download_errors_are_one_line(monkeypatch, capsys):
    code = main(["download", "facebook/musicgen-small"])  # HF_HUB_OFFLINE=1 in the tests
    assert code == 2 and "HF_HUB_OFFLINE" in capsys.readouterr().err
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr("vistune.runtime.models.hub_reachable", lambda timeout=2.0: True)

    def unreachable(self, name):
        raise OSError("Network is unreachable")

    monkeypatch.setattr("huggingface_hub.HfApi.list_repo_files", unreachable)
    with pytest.raises(ModelUnavailable, match="check the name"):
        download("facebook/musicgen-small")


def test_download_without_network_is_one_line_without_retries(monkeypatch, capsys):
    """A hub that does not answer is reported at once, not after huggingface_hub's retries."""
    import socket

    from vistune.runtime.models import hub_reachable

    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")

    def hub_called(self, name):
        raise AssertionError("the hub client was asked despite no network")

    monkeypatch.setattr("huggingface_hub.HfApi.list_repo_files", hub_called)
    hub_reachable.cache_clear()
    try:
        code = main(["download", "facebook/musicgen-small"])
    finally:
        hub_reachable.cache_clear()
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"127.0.0.1:{port}" in err and "cannot be reached" in err


def test_loading_is_quiet_unless_debugging(tmp_path, monkeypatch, capfd):
    """No transformers warnings or "Loading weights" bars in normal runs; VISTUNE_DEBUG=1
    shows them."""
    from tiny_models import build_musicgen

    from vistune.engines.musicgen.engine import MusicGenEngine
    from vistune.runtime.models import release

    folder = build_musicgen(tmp_path, window_seconds=2.0)  # its config makes transformers warn
    capfd.readouterr()
    outputs = []
    for debug in ("", "1"):
        monkeypatch.setenv("VISTUNE_DEBUG", debug)
        release("music")
        MusicGenEngine(str(folder), precision="fp32")._load()
        outputs.append(capfd.readouterr().err)
    release("music")
    quiet, debug = outputs
    assert quiet == ""
    assert "Loading weights" in debug


def test_download_of_a_local_folder_is_that_folder(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert download(str(tmp_path)) == tmp_path


def test_known_models_cover_every_musicgen_size():
    names = {m.name for m in KNOWN_MODELS}
    for size in ("small", "medium", "large", "melody", "stereo-small", "stereo-large"):
        assert f"facebook/musicgen-{size}" in names


def test_device_choice():
    assert pick_device() in ("cpu", "cuda", "mps")
    assert pick_device("cpu") == "cpu"
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ModelUnavailable, match="--device cpu"):
            pick_device("cuda")


@pytest.mark.parametrize("error", [MemoryError(), RuntimeError("DefaultCPUAllocator: can't "
                                                               "allocate memory: out of memory")])
def test_running_out_of_memory_while_loading_gives_advice(error):
    from vistune.runtime.models import load_pretrained

    def build():
        raise error

    with pytest.raises(ModelUnavailable, match="not enough memory to load big/model.*smaller"):
        load_pretrained("oom-test", "big", "big/model", build)
