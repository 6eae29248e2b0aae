"""OpenVINO: MusicGen's decoder step and EnCodec, BLIP's vision encoder and text decoder, and the
beam search over a compiled step, exported once per checkpoint and cached."""
