"""OpenVINO: MusicGen's decoder step and EnCodec, BLIP's vision encoder and text decoder, and the
beam search over a compiled step, exported once per checkpoint and cached.

``core``         the process's one Core, compile settings, which backend runs where
``cache``        where exports live, their key, all-or-nothing folder writes
``passes``       graph passes every export uses (port names, stateful cache, NNCF weights)
``step``         MusicGen's export, its compiled decoder step and ``attach``
``codec``        EnCodec's decoder, exported beside MusicGen's step
``blip``         BLIP's vision encoder, ``attach`` and ``vistune optimize``'s choice of export
``blip_decoder`` BLIP's text decoder
``beam_search``  transformers' beam and greedy search over any step
``torch_modules`` the torch modules traced (and the stand-ins attached); they import torch

What the exports read of transformers' models is checked first by ``vistune.runtime.compat``.
"""
