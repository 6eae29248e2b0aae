"""MusicGen's token loop, lean enough for real-time work on a CPU.

transformers' ``generate()`` spends about as long in Python bookkeeping per step (cache objects,
mask building, attention dispatch, module hooks) as in the decoder's matrix products once those
are int8 (BENCHMARKS.md). This loop runs the same decoder weights with a preallocated key/value
cache and plain tensor calls, and reuses transformers' own pieces for everything that is not
per-step arithmetic: the text and audio-prompt encoders, the delay pattern, classifier-free
guidance and the sampling warpers. With the same seed it picks the same tokens as ``generate()``
(tests/test_decoding.py holds this), and it reports each step's codes, which streaming needs.

Only MusicgenForConditionalGeneration (text-conditioned, mono or stereo) runs here; melody
checkpoints condition through a prefix instead of cross-attention and keep ``generate()``. The
private transformers and torch APIs this loop needs go through ``vistune.runtime.compat``; when
one is missing, the engine uses ``generate()`` as well.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ...runtime import compat
from ...runtime.openvino.codec import SHORTEST
from ...runtime.openvino.step import codec_for

if TYPE_CHECKING:
    import torch

#: Called after every step with (step, steps, frames): ``frames()`` gives the whole frames so
#: far as (batch, codebooks, frames) codes.
StepCallback = Callable[[int, int, Callable[[], "torch.Tensor"]], None]


def generate_codes(model, batch, *, new_tokens: int, sampling: dict,
                   on_step: StepCallback | None = None, make_step=None) -> torch.Tensor:
    """Audio codes for a processor ``batch`` (text, plus ``input_values`` to continue from).

    ``sampling`` holds guidance_scale/temperature/top_k/top_p overrides of the checkpoint's
    generation config. Returns (batch, codebooks, frames), the audio prompt's frames included,
    exactly what ``generate()`` hands to EnCodec. ``make_step`` builds the decoder step
    (``Stepper`` by default; runtime/openvino/step.py's on the OpenVINO backend); a step with a
    ``torch_threads`` attribute has the loop run with PyTorch on that many threads.
    """
    import torch

    config = model.generation_config
    settings = {name: sampling.get(name, getattr(config, name))
                for name in ("guidance_scale", "temperature", "top_k", "top_p")}
    guided = _guided(settings)
    start_id, decoder = config.decoder_start_token_id, model.decoder
    states, mask = text_states(model, batch, guided=guided)
    rows = batch["input_ids"].shape[0] * decoder.num_codebooks
    ids = torch.full((rows, 1), start_id, dtype=torch.long, device=states.device)
    if "input_values" in batch:
        ids = torch.cat([ids, compat.audio_prompt(model, batch["input_values"])], dim=1)
    total = ids.shape[1] + new_tokens
    ids, pattern = decoder.build_delay_pattern_mask(ids, pad_token_id=start_id, max_length=total)
    process = _warpers(settings)
    step = (make_step or Stepper)(model, states, mask, length=total)
    sequence = torch.empty((rows, total), dtype=torch.long, device=ids.device)
    known = ids.shape[1]
    sequence[:, :known] = ids
    with torch_threads(getattr(step, "torch_threads", None)):
        logits = step(ids.repeat(2, 1) if guided else ids)
        for position in range(known, total):
            scores = process(sequence[:, :position], logits.float())
            chosen = torch.multinomial(scores.softmax(-1), num_samples=1)[:, 0]
            forced = pattern[:, position]
            sequence[:, position] = torch.where(forced == -1, chosen, forced)
            if on_step is not None:
                so_far = sequence[:, :position + 1]
                on_step(position + 1 - known, total - known,
                        lambda so_far=so_far: _undelay(so_far, model))
            if position + 1 < total:
                column = sequence[:, position:position + 1]
                logits = step(column.repeat(2, 1) if guided else column)
    return _undelay(sequence, model)


#: Guards torch's thread count while loops that set it run (several may run at once).
_THREADS_LOCK = threading.Lock()
_THREADS_HELD: list[int] = []


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[None]:
    """Run the block with PyTorch on ``count`` threads (None: leave it), restoring the count
    once the last such block ends.

    The OpenVINO step asks for 1: the loop's own PyTorch work (guidance, sampling) is tiny, and
    a second OpenMP thread spinning after each of its ops competes with OpenVINO's threads for
    the cores (9% per step here, same tokens; benchmarks/LOG.md, issue 17).
    """
    import torch

    if count is None:
        yield
        return
    with _THREADS_LOCK:
        if not _THREADS_HELD:
            _THREADS_HELD.append(torch.get_num_threads())
            torch.set_num_threads(count)
        _THREADS_HELD.append(count)
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_HELD.pop()
            if len(_THREADS_HELD) == 1:
                torch.set_num_threads(_THREADS_HELD.pop())


def text_states(model, batch, *, guided: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The text encoder's output as the decoder's cross-attention sees it, and its mask.

    ``guided`` (classifier-free guidance) appends an unconditional half that attends to
    nothing, as in ``generate()``.
    """
    import torch

    states = model.text_encoder(input_ids=batch["input_ids"],
                                attention_mask=batch["attention_mask"]).last_hidden_state
    projection = getattr(model, "enc_to_dec_proj", None)
    if projection is not None and model.decoder.config.cross_attention_hidden_size is None:
        states = projection(states)
    mask = batch["attention_mask"]
    states = states * mask[..., None].to(states.dtype)
    if guided:
        return (torch.cat([states, torch.zeros_like(states)]),
                torch.cat([mask, torch.zeros_like(mask)]))
    return states, mask


def _max_delay(model) -> int:
    """How many columns the last codebook lags the first (stereo pairs share a delay)."""
    codebooks = model.decoder.num_codebooks
    return (codebooks // 2 if model.decoder.config.audio_channels == 2 else codebooks) - 1


def _undelay(sequence: torch.Tensor, model) -> torch.Tensor:
    """(batch*codebooks, columns) in the delay pattern -> (batch, codebooks, whole frames).

    Column 0 is the start token; codebook k of frame t sits in column 1 + t + its delay.
    """
    import torch

    codebooks = model.decoder.num_codebooks
    stereo = model.decoder.config.audio_channels == 2
    rows, columns = sequence.shape
    frames = max(0, columns - 1 - _max_delay(model))
    grouped = sequence.view(rows // codebooks, codebooks, columns)
    return torch.stack([grouped[:, k, 1 + lag:1 + lag + frames] for k, lag in
                        enumerate(k // 2 if stereo else k for k in range(codebooks))], dim=1)


def _guided(settings: dict) -> bool:
    """Whether ``settings`` ask for classifier-free guidance (a scale above 1)."""
    return settings["guidance_scale"] is not None and settings["guidance_scale"] > 1


def _warpers(settings: dict):
    """Classifier-free guidance, then temperature, top-k, top-p: ``generate()``'s order."""
    from transformers.generation.logits_process import (
        ClassifierFreeGuidanceLogitsProcessor,
        LogitsProcessorList,
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    chain = LogitsProcessorList()
    if _guided(settings):
        chain.append(ClassifierFreeGuidanceLogitsProcessor(settings["guidance_scale"]))
    if settings["temperature"] is not None and settings["temperature"] != 1.0:
        chain.append(TemperatureLogitsWarper(settings["temperature"]))
    if settings["top_k"]:
        chain.append(TopKLogitsWarper(settings["top_k"]))
    if settings["top_p"] is not None and settings["top_p"] < 1.0:
        chain.append(TopPLogitsWarper(settings["top_p"]))
    return chain


class Stepper:
    """The MusicGen decoder stack with a preallocated key/value cache.

    Call it with the next (rows, columns) token ids (rows = batch x codebooks); it returns the
    (rows, vocabulary) logits of the last column (``logits()`` gives every column's). The
    arithmetic is transformers' MusicgenDecoder's, written as plain tensor calls; the weights are
    the model's own modules (int8 ones included), so every precision runs here.
    """

    def __init__(self, model, states: torch.Tensor, mask: torch.Tensor, *, length: int) -> None:
        import torch

        stack = model.decoder.model.decoder
        self.stack = stack
        self.heads = [_linear(head) for head in model.decoder.lm_heads]
        # Per layer: joint q/k/v of self-attention, its output, cross-attention's query and
        # output, the two feed-forward layers.
        self.linears = [(_joint(layer.self_attn), _linear(layer.self_attn.out_proj),
                         _linear(layer.encoder_attn.q_proj), _linear(layer.encoder_attn.out_proj),
                         _linear(layer.fc1), _linear(layer.fc2)) for layer in stack.layers]
        self.codebooks = model.decoder.num_codebooks
        first = stack.layers[0].self_attn
        self.heads_count, self.head_dim = first.num_heads, first.head_dim
        batch = states.shape[0]
        # Cross-attention keys and values depend on the text only: once per piece.
        self.cross = [(self._split(layer.encoder_attn.k_proj(states)),
                       self._split(layer.encoder_attn.v_proj(states)))
                      for layer in stack.layers]
        self.cross_mask = mask.bool()[:, None, None, :]
        shape = (len(stack.layers), 2, batch, self.heads_count, length, self.head_dim)
        # Zeroed now, in one sweep: left empty, each step's writes would fault in fresh pages
        # one by one (about 1 ms per step).
        self.cache = states.new_zeros(shape)
        self.length = 0
        self._sdpa = torch.nn.functional.scaled_dot_product_attention
        self._norm = torch.nn.functional.layer_norm

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, time, hidden) -> (batch, heads, time, head_dim)."""
        return x.view(x.shape[0], x.shape[1], self.heads_count, self.head_dim).transpose(1, 2)

    def _layer_norm(self, x: torch.Tensor, norm) -> torch.Tensor:
        return self._norm(x, norm.normalized_shape, norm.weight, norm.bias, norm.eps)

    def __call__(self, ids: torch.Tensor) -> torch.Tensor:
        return self.logits(ids, last=True)[:, 0]

    def logits(self, ids: torch.Tensor, *, last: bool = False) -> torch.Tensor:
        """Feed (rows, columns) ids; the (rows, columns, vocabulary) logits of every column
        (of the last one only if ``last``: a long audio prompt needs no others)."""
        import torch

        rows, columns = ids.shape
        grouped = ids.view(rows // self.codebooks, self.codebooks, columns)
        start, end = self.length, self.length + columns
        x = sum(embed(grouped[:, k]) for k, embed in enumerate(self.stack.embed_tokens))
        x = x + self.stack.embed_positions(grouped, start).to(x.dtype)
        for layer, cache, (cross_keys, cross_values), linears in zip(
                self.stack.layers, self.cache, self.cross, self.linears, strict=True):
            qkv, out, cross_query, cross_out, up, down = linears
            query, key, value = qkv(self._layer_norm(x, layer.self_attn_layer_norm))
            cache[0, :, :, start:end] = self._split(key)
            cache[1, :, :, start:end] = self._split(value)
            # The first call (prompt) is causal over itself; later single steps see everything.
            seen = self._sdpa(self._split(query), cache[0, :, :, :end], cache[1, :, :, :end],
                              is_causal=start == 0 and columns > 1)
            x = x + out(self._merge(seen))
            h = self._layer_norm(x, layer.encoder_attn_layer_norm)
            seen = self._sdpa(self._split(cross_query(h)), cross_keys, cross_values,
                              attn_mask=self.cross_mask)
            x = x + cross_out(self._merge(seen))
            h = self._layer_norm(x, layer.final_layer_norm)
            x = x + down(layer.activation_fn(up(h)))
        self.length = end
        x = self._layer_norm(x[:, -1:] if last else x, self.stack.layer_norm)
        return torch.stack([head(x) for head in self.heads], dim=1).view(rows, x.shape[1], -1)

    def _merge(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, heads, time, head_dim) -> (batch, time, hidden)."""
        return x.transpose(1, 2).reshape(x.shape[0], x.shape[2], -1)


def _linear(module) -> Callable[[torch.Tensor], torch.Tensor]:
    """A Linear layer as one direct call: int8 layers go straight into the quantized kernel,
    skipping the module's wrapper (about 20 us per call, 200 calls per step)."""
    import functools

    import torch

    packed = compat.packed_int8(module)
    if packed is None:
        return functools.partial(torch.nn.functional.linear, weight=module.weight,
                                 bias=module.bias)
    return compat.int8_linear(packed)


#: Joint q/k/v int8 weights per attention module (None: not int8), made once per loaded model.
_JOINT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _joint(attention) -> Callable[[torch.Tensor], tuple[torch.Tensor, ...]]:
    """Self-attention's query, key and value projections of one input in a single call.

    For int8 layers the three weight matrices are stacked row-wise with their own per-channel
    scales, which computes exactly what three calls would, reading the input once: one kernel
    call instead of three saves about 2 ms per step. Float layers are called one by one.
    """
    modules = (attention.q_proj, attention.k_proj, attention.v_proj)
    if attention not in _JOINT:  # unpacking int8 weights takes ms: once per model
        _JOINT[attention] = _stacked(modules)
    packed, size = _JOINT[attention], attention.q_proj.out_features
    if packed is None:
        calls = [_linear(m) for m in modules]
        return lambda x: tuple(call(x) for call in calls)
    joint = compat.int8_linear(packed)
    return lambda x: joint(x).split(size, -1)


def _stacked(modules):
    """One int8 kernel's packed weights for several bias-free int8 Linears of the same input,
    or None if any of them is not such a layer."""
    import torch

    if any(compat.packed_int8(m) is None for m in modules):
        return None
    weights, biases = zip(*(compat.int8_weight_bias(m) for m in modules), strict=True)
    if any(b is not None for b in biases):
        return None
    return compat.pack_int8(torch.cat([w.int_repr() for w in weights]),
                            torch.cat([_channel(w, "scales") for w in weights]),
                            torch.cat([_channel(w, "zero_points") for w in weights]))


def _channel(weight, kind: str):
    """Per-output-channel scales or zero points of an int8 weight, per-tensor ones repeated."""
    import torch

    if weight.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric):
        return getattr(weight, f"q_per_channel_{kind}")()
    value = weight.q_scale() if kind == "scales" else weight.q_zero_point()
    return torch.full((weight.shape[0],), value,
                      dtype=torch.double if kind == "scales" else torch.long)


def decode_audio(model, codes: torch.Tensor) -> torch.Tensor:
    """EnCodec's audio for (batch, codebooks, frames) codes: (batch, channels, samples).

    Stereo checkpoints interleave left and right codebooks, as ``generate()`` decodes them.
    On the OpenVINO backend EnCodec runs there (runtime/openvino/codec.py).
    """
    import torch

    codec = codec_for(model)
    if codec is None or codes.shape[-1] < SHORTEST:
        def codec(part: torch.Tensor) -> torch.Tensor:
            return model.audio_encoder.decode(part[None], audio_scales=[None] * part.shape[0]
                                              ).audio_values

    if model.decoder.config.audio_channels == 1:
        return codec(codes)
    return torch.cat([codec(codes[:, side::2]) for side in (0, 1)], dim=1)


class AudioStream:
    """Audio as it is generated: an ``on_step`` callback for ``generate_codes`` that decodes the
    newest whole frames and hands them to ``emit`` as float32 (batch, channels, samples).

    The first chunk comes after ``every`` frames (half a second at 50 frames/s), then each
    chunk is twice as long as the last, up to ``most`` frames: early audio soon, then fewer,
    cheaper decodes. EnCodec is not causal, so each decode starts ``context`` frames before
    the new ones (its LSTM and convolutions settle on them) and the newest ``lookahead`` frames
    wait for the next decode, serving as right context. Frames before ``first`` (an audio
    prompt, already heard) and from ``last`` on are not emitted.
    """

    def __init__(self, model, emit: Callable, *, every: int = 25, most: int = 100,
                 context: int = 50, lookahead: int = 5, first: int = 0,
                 last: int | None = None) -> None:
        self.model, self.emit = model, emit
        self.every, self.most, self.context, self.lookahead = every, most, context, lookahead
        self.sent, self.last = first, last
        self.hop = model.config.audio_encoder.sampling_rate // model.config.audio_encoder.frame_rate

    def __call__(self, done: int, total: int, frames: Callable[[], torch.Tensor]) -> None:
        final = done == total
        codes = frames()
        end = codes.shape[-1] if self.last is None else min(codes.shape[-1], self.last)
        ready = end if final else min(end, codes.shape[-1] - self.lookahead)
        if ready - self.sent < (1 if final else self.every):
            return
        begin = max(0, self.sent - self.context)
        audio = decode_audio(self.model, codes[..., begin:min(codes.shape[-1],
                                                             ready + self.lookahead)])
        piece = audio[..., (self.sent - begin) * self.hop:(ready - begin) * self.hop]
        self.sent, self.every = ready, min(2 * self.every, self.most)
        self.emit(piece.float().cpu().numpy())


def decoder_agreement(reference, other, processor, prompt: str, *, steps: int = 250,
                      seed: int = 0, other_step=None) -> tuple[float, float]:
    """How closely ``other``'s decoder follows ``reference``'s (e.g. int8 against fp32).

    ``reference`` generates a sequence for ``prompt``; both decoders then predict every next
    token of it (teacher forcing) through this module's loop. Returns (top-1 agreement 0..1,
    mean KL(reference || other) in nats). ``other_step`` builds ``other``'s decoder step
    (``Stepper`` by default). Used by the quality tests and benchmarks.
    """
    import torch

    batch = processor(text=[prompt], padding=True, return_tensors="pt")
    start_id = reference.generation_config.decoder_start_token_id
    with torch.inference_mode():
        torch.manual_seed(seed)
        codes = generate_codes(reference, batch, new_tokens=steps,
                               sampling={"guidance_scale": 1.0})[0]
        first = torch.full((codes.shape[0], 1), start_id)
        ids, _ = reference.decoder.build_delay_pattern_mask(
            torch.cat([first, codes], 1), pad_token_id=start_id,
            max_length=codes.shape[1] + 1 + _max_delay(reference))
        logits = []
        for model, make in ((reference, Stepper), (other, other_step or Stepper)):
            states, mask = text_states(model, batch)
            stepper = make(model, states, mask, length=ids.shape[1])
            logits.append(stepper.logits(ids).float().log_softmax(-1))
    ref, got = logits
    top1 = (ref.argmax(-1) == got.argmax(-1)).float().mean().item()
    kl = (ref.exp() * (ref - got)).sum(-1).mean().item()
    return top1, kl
