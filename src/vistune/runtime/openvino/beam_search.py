"""transformers' beam search (and greedy search), over any step function.

Why our own: transformers' ``generate()`` drives a torch module through its Cache objects, a
private interface that changes between releases, and cannot drive an OpenVINO step whose cache
lives in the runtime. ``search`` reproduces, token for token, what ``generate()`` gives
(transformers 5: beam search keeps 2 x beams candidates, sums of log-softmax scores, finished
hypotheses scored with the length penalty, its stopping rule; greedy search for one beam);
tests/test_blip_openvino.py compares the two on several pictures, prompts and settings.
"""

from __future__ import annotations

from collections.abc import Callable

#: Generation settings ``search`` follows (with transformers' defaults where unset); any other
#: one set to a value that changes the search is named by ``unsupported`` (BLIP then keeps its
#: PyTorch decoder).
SETTINGS = {"num_beams": 1, "max_new_tokens": None, "min_length": 0, "min_new_tokens": 0,
            "length_penalty": 1.0, "early_stopping": False}
#: Settings at values that change nothing, which older checkpoints spell out.
_NEUTRAL = {"do_sample": False, "num_return_sequences": 1, "repetition_penalty": 1.0,
            "encoder_repetition_penalty": 1.0, "no_repeat_ngram_size": 0,
            "encoder_no_repeat_ngram_size": 0, "num_beam_groups": 1, "diversity_penalty": 0.0,
            "output_scores": False, "return_dict_in_generate": False,
            "remove_invalid_values": False}
#: Settings that change nothing here: token ids BLIP's ``generate`` passes, output options,
#: sampling parameters (ignored without sampling), max_length (max_new_tokens, which ``search``
#: needs, overrides it).
_IGNORED = {"pad_token_id", "bos_token_id", "eos_token_id", "decoder_start_token_id",
            "use_cache", "output_attentions", "output_hidden_states", "transformers_version",
            "_from_model_config", "temperature", "top_k", "top_p", "typical_p", "min_p",
            "epsilon_cutoff", "eta_cutoff", "max_length"}
_NEVER = -1.0e9  # transformers' "impossible" score, kept for identical arithmetic


def unsupported(config) -> list[str]:
    """The generation settings of ``config`` (a GenerationConfig) that ``search`` does not
    follow and that are set to a value that would change the search."""
    return sorted(key for key, value in config.to_diff_dict().items()
                  if key not in SETTINGS and key not in _IGNORED and value is not None
                  and _NEUTRAL.get(key, object()) != value)


def settings(config) -> dict:
    """``search``'s keyword arguments from ``config``, transformers' defaults where unset."""
    values = {key: getattr(config, key, None) for key in SETTINGS}
    return {key: default if values[key] is None else values[key]
            for key, default in SETTINGS.items()}


def search(step: Callable, prompt, *, num_beams: int, max_new_tokens: int, eos: int, pad: int,
           min_new_tokens: int = 0, length_penalty: float = 1.0,
           early_stopping: bool | str = False):
    """transformers' beam search (greedy search for one beam) over ``step(ids, beam_idx)``,
    which feeds ids (rows, columns) to rows whose caches are first reordered by ``beam_idx``
    and returns the last column's logits (rows, vocabulary). ``prompt`` (pictures, length)
    starts every beam. Returns the prompts with their best continuations, padded as
    ``generate()`` pads them."""
    import torch

    pictures, start = prompt.shape
    if num_beams == 1:
        return _greedy(step, prompt, max_new_tokens, eos, pad, min_new_tokens)
    beams, keep, limit = num_beams, 2 * num_beams, start + max_new_tokens
    # Unused places hold pad, or eos when pad is 0 (transformers' ``pad or eos`` on a tensor).
    ids = torch.full((pictures, beams, limit), pad or eos, dtype=torch.long)
    ids[:, :, :start] = prompt[:, None]
    done, lengths = ids.clone(), torch.zeros(pictures, beams, dtype=torch.long)
    scores = torch.zeros(pictures, beams)
    scores[:, 1:] = _NEVER
    done_scores = torch.full((pictures, beams), _NEVER)
    finished = torch.zeros(pictures, beams, dtype=torch.bool)
    hopeful = torch.ones(pictures, 1, dtype=torch.bool)
    offsets = torch.arange(pictures)[:, None] * beams
    order = torch.arange(pictures * beams)
    logits = step(ids[:, :, :start].reshape(-1, start), order)
    for length in range(start, limit):
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        if length - start < min_new_tokens:
            log_probs[:, eos] = -float("inf")
        vocabulary = log_probs.shape[-1]
        total = (log_probs.view(pictures, beams, -1) + scores[:, :, None]).view(pictures, -1)
        top, index = torch.topk(total, keep)
        source = index // vocabulary
        candidates = ids.gather(1, source[:, :, None].expand(-1, -1, limit)).clone()
        candidates[:, :, length] = index % vocabulary
        ends = (candidates[:, :, length] == eos) | (length + 1 >= limit)
        # The best candidates that did not end keep running.
        running = top + ends.to(torch.float32) * _NEVER
        best = torch.topk(running, beams)[1]
        ids = candidates.gather(1, best[:, :, None].expand(-1, -1, limit))
        scores = running.gather(1, best)
        # Ended candidates among the first ``beams`` join the finished ones if they score more.
        ended = ends.clone()
        ended[:, beams:] = False
        final = top / ((length + 1 - start) ** length_penalty)
        final += (finished.all(-1, keepdim=True) & (early_stopping is True)).to(
            torch.float32) * _NEVER
        final += (~hopeful).to(torch.float32) * _NEVER
        final += (~ended) * _NEVER
        merged = torch.cat((done_scores, final), dim=1)
        pick = torch.topk(merged, beams)[1]
        done = torch.cat((done, candidates), 1).gather(1, pick[:, :, None].expand(-1, -1, limit))
        done_scores = merged.gather(1, pick)
        lengths = torch.cat((lengths, torch.full_like(ended, length + 1 - start, dtype=torch.long)),
                            1).gather(1, pick)
        finished = torch.cat((finished, ended), 1).gather(1, pick)
        # transformers' stopping rule: can a running beam still beat the worst finished one?
        reach = (limit if early_stopping == "never" and length_penalty > 0.0 else length + 1)
        best_running = scores[:, :1] / ((reach - start) ** length_penalty)
        worst = torch.where(finished, done_scores.min(1, keepdim=True)[0], _NEVER)
        hopeful = hopeful & (best_running > worst).any(-1, keepdim=True)
        if not (hopeful.any() and not (finished.all() and early_stopping is True)
                and not ends.all()):
            break
        logits = step(ids[:, :, length:length + 1].reshape(-1, 1),
                      (source.gather(1, best) + offsets).flatten())
    return done[:, 0, :start + int(lengths[:, 0].max())]


def _greedy(step: Callable, prompt, max_new_tokens: int, eos: int, pad: int,
            min_new_tokens: int):
    """transformers' greedy search: the likeliest token each step; ended rows get ``pad``."""
    import torch

    rows, start = prompt.shape
    order = torch.arange(rows)
    open_rows = torch.ones(rows, dtype=torch.long)
    ids, logits = prompt, step(prompt, order)
    for _ in range(max_new_tokens):
        logits = logits.float()
        if ids.shape[1] - start < min_new_tokens:
            logits[:, eos] = -float("inf")
        tokens = logits.argmax(-1) * open_rows + pad * (1 - open_rows)
        ids = torch.cat((ids, tokens[:, None]), 1)
        open_rows = open_rows & (tokens != eos).long()
        if not open_rows.any() or ids.shape[1] - start >= max_new_tokens:
            break
        logits = step(tokens[:, None], order)
    return ids
