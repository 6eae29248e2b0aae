"""BlipCaptioner: Salesforce BLIP captions through Hugging Face transformers.

Any BLIP captioning checkpoint works (hub id or a folder saved with ``save_pretrained``).
Captions are unconditional by default; with ``prefix`` ("an image of") BLIP continues the words.
On a CPU the vision encoder and the text decoder run on OpenVINO when it is installed
(blip_openvino.py, blip_decoder.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from ..runtime.models import (
    DEFAULT_CAPTION_MODEL,
    load_pretrained,
    pick_device,
    quantize_linear,
    resolve_precision,
    torch_dtype,
)
from ..runtime.openvino.core import resolve_backend
from .features import analyze
from .image import Picture
from .labels import Description, LabelCaptioner

#: BLIP-large sometimes opens with these non-words (an artefact of its training captions).
_ARTEFACTS = re.compile(r"^(?:(?:arafed|araffe|arafe|arafly|there is)\s+)+", re.IGNORECASE)


def is_degenerate(caption: str) -> bool:
    """True for captions too poor to make music from: under two words, or one word repeated.

    >>> is_degenerate(""), is_degenerate("a a a a a"), is_degenerate("a forest with tall trees")
    (True, True, False)
    """
    words = re.findall(r"[^\W\d_]+", caption.lower())
    if len(words) < 2:
        return True
    most = max(words.count(w) for w in set(words))
    return most / len(words) > 0.5 or len(set(words)) < 2


class BlipCaptioner:
    """Neural captioner; the model loads on first use and is shared within the process.

    ``prefix`` makes conditional captions ("an image of" -> "an image of a misty forest");
    ``num_beams`` and ``max_new_tokens`` are BLIP's beam-search settings. ``backend`` runs the
    vision encoder and the text decoder: "auto" (OpenVINO on a CPU when installed and
    ``precision`` is "auto"), "torch" or "openvino".
    """

    name = "blip"

    def __init__(self, model_name: str = DEFAULT_CAPTION_MODEL, *, device: str | None = None,
                 precision: str = "auto", prefix: str | None = None, num_beams: int = 3,
                 max_new_tokens: int = 30, fallback: LabelCaptioner | None = None,
                 backend: str = "auto") -> None:
        self.model_name = model_name
        self.backend = backend
        self.device = device
        self.precision = precision
        self.prefix = prefix.strip() if prefix and prefix.strip() else None
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens
        self._fallback = fallback
        self._lock = threading.Lock()

    def describe(self, picture: Picture) -> Description:
        """Caption one picture."""
        return self.describe_many([picture])[0]

    def describe_many(self, pictures: Sequence[Picture]) -> list[Description]:
        """Caption several pictures in one batched call."""
        captions = self.caption([p.image for p in pictures])
        results = []
        for picture, caption in zip(pictures, captions, strict=True):
            if is_degenerate(caption):
                # An empty or stuttering caption would make an empty prompt: describe offline.
                fallback = self._fallback or LabelCaptioner()
                self._fallback = fallback
                results.append(fallback.describe(picture))
                continue
            results.append(Description(caption=caption, labels=(), features=analyze(picture),
                                       captioner=self.name, source=picture.source))
        return results

    def caption(self, images: Sequence) -> list[str]:
        """Raw BLIP captions for PIL images, artefacts trimmed."""
        import torch

        model, processor, device = self._load()
        batch = {"images": list(images), "return_tensors": "pt"}
        if self.prefix:
            batch["text"] = [self.prefix] * len(images)
        inputs = processor(**batch).to(device)
        inputs["pixel_values"] = inputs["pixel_values"].to(model.vision_model.dtype)
        with self._lock, torch.inference_mode():
            tokens = model.generate(**inputs, num_beams=self.num_beams,
                                    max_new_tokens=self.max_new_tokens)
        texts = processor.batch_decode(tokens, skip_special_tokens=True)
        return [_ARTEFACTS.sub("", " ".join(t.split())).strip() for t in texts]

    def _load(self):
        device = pick_device(self.device)
        precision = resolve_precision(self.precision, device, kind="captioner")
        # OpenVINO runs the vision encoder and text decoder for the CPU default, or when asked
        # for by name.
        openvino = resolve_backend(self.backend, device) == "openvino" and (
            self.backend == "openvino" or self.precision == "auto")

        def build():
            from transformers import (
                AutoTokenizer,
                BlipForConditionalGeneration,
                BlipImageProcessorPil,
                BlipProcessor,
            )

            dtype = torch_dtype(precision)
            # OpenVINO's export starts from the fp32 weights; a text decoder left in PyTorch
            # is cast after.
            model = BlipForConditionalGeneration.from_pretrained(
                self.model_name, dtype=torch_dtype("fp32") if openvino else dtype)
            if openvino:
                from ..runtime.openvino.blip import attach

                if "decoder" not in attach(model, self.model_name):
                    model = model.to(dtype)
            if precision == "int8":
                quantize_linear(model)
            # The Pillow image processor needs no torchvision and gives the same pixels.
            processor = BlipProcessor(
                image_processor=BlipImageProcessorPil.from_pretrained(self.model_name),
                tokenizer=AutoTokenizer.from_pretrained(self.model_name))
            return model.to(device).eval(), processor, device

        return load_pretrained("captioner", (self.model_name, device, precision, openvino),
                               self.model_name, build)
