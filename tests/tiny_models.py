"""Tiny BLIP and MusicGen checkpoints built from configs, saved with save_pretrained.

They keep the real checkpoints' structure (BLIP's [DEC] bos and [SEP] eos tokens and BERT
WordPiece tokenizer; MusicGen's 32 kHz EnCodec at 50 frames/s with 4 codebooks of 2048, decoder
start/pad token 2048, a T5 encoder with a Unigram tokenizer) and shrink only the widths and
depths, so the code users run loads them through the same from_pretrained calls.
"""

from __future__ import annotations

import json
from pathlib import Path

BLIP_WORDS = ("a an image of photo picture forest with trees tall green the sunset over sea "
              "city at night street and cat sitting on misty sky").split()
T5_WORDS = ("calm ambient piano strings bpm major minor evoking a forest the of with and warm "
            "folk flute guitar jazz lo-fi hip hop cinematic").split()


def build_blip(folder: Path, *, seed: int = 0) -> Path:
    """A two-layer BLIP captioner at 32 px."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessorPil,
        BlipProcessor,
    )

    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *BLIP_WORDS, "[DEC]", "[ENC]"]
    vocab = {t: i for i, t in enumerate(tokens)}
    tokenizer = BertTokenizer(vocab=vocab, bos_token="[DEC]", additional_special_tokens=["[ENC]"])
    config = BlipConfig(
        text_config=dict(vocab_size=len(tokens), hidden_size=32, num_hidden_layers=2,
                         num_attention_heads=2, intermediate_size=37, encoder_hidden_size=32,
                         bos_token_id=vocab["[DEC]"], sep_token_id=vocab["[SEP]"],
                         eos_token_id=vocab["[SEP]"], pad_token_id=0),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                           num_attention_heads=2, image_size=32, patch_size=16))
    torch.manual_seed(seed)
    model = BlipForConditionalGeneration(config).eval()
    processor = BlipProcessor(
        image_processor=BlipImageProcessorPil(
            size={"height": 32, "width": 32}, image_mean=[0.48145466, 0.4578275, 0.40821073],
            image_std=[0.26862954, 0.26130258, 0.27577711]),
        tokenizer=tokenizer)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


MELODY_EXTRACTOR = {  # preprocessor_config.json of facebook/musicgen-melody
    "chunk_length": 30, "feature_extractor_type": "MusicgenMelodyFeatureExtractor",
    "feature_size": 12, "hop_length": 4096, "n_fft": 16384, "num_chroma": 12,
    "padding_side": "right", "padding_value": 0.0, "processor_class": "MusicgenMelodyProcessor",
    "return_attention_mask": True, "sampling_rate": 32000, "stem_indices": [3, 2]}


def build_musicgen(folder: Path, *, window_seconds: float = 4.0, melody: bool = False,
                   stereo: bool = False, seed: int = 0, text_size: int = 16) -> Path:
    """A two-layer MusicGen whose generation window is ``window_seconds`` long.

    ``text_size`` other than the decoder's 16 gives it a text-to-decoder projection, as the
    real checkpoints have (T5's 768 -> 1024 and more)."""
    import torch
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        GenerationConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenMelodyConfig,
        MusicgenMelodyDecoderConfig,
        MusicgenMelodyForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
        T5Tokenizer,
    )

    vocab = ([("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
             + [("\u2581" + w, -1.0) for w in T5_WORDS]
             + [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz0123456789,.-#"])
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    text = T5Config(vocab_size=len(vocab), d_model=text_size, d_kv=4, d_ff=32, num_layers=2,
                    num_heads=2, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    channels = 2 if stereo else 1
    audio = EncodecConfig(audio_channels=1, codebook_size=2048, codebook_dim=8, hidden_size=8,
                          num_filters=4, sampling_rate=32000, target_bandwidths=[2.2],
                          upsampling_ratios=[8, 5, 4, 4], use_causal_conv=False,
                          use_conv_shortcut=False, num_lstm_layers=1)
    codebooks = 4 * channels
    decoder_kwargs = dict(vocab_size=2048, max_position_embeddings=2048, num_hidden_layers=2,
                          ffn_dim=32, num_attention_heads=2, hidden_size=16,
                          num_codebooks=codebooks, pad_token_id=2048, bos_token_id=2048,
                          decoder_start_token_id=2048, audio_channels=channels)
    if melody:
        decoder = MusicgenMelodyDecoderConfig(**decoder_kwargs)
        config = MusicgenMelodyConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                                      decoder=decoder.to_dict(), num_chroma=12,
                                      chroma_length=235)
        model_class = MusicgenMelodyForConditionalGeneration
        processor = None  # its feature extractor needs torchaudio; write its config directly
    else:
        decoder = MusicgenDecoderConfig(**decoder_kwargs)
        config = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                                decoder=decoder.to_dict())
        model_class = MusicgenForConditionalGeneration
        processor = MusicgenProcessor(
            feature_extractor=EncodecFeatureExtractor(feature_size=channels,
                                                      sampling_rate=32000),
            tokenizer=tokenizer)
    torch.manual_seed(seed)
    model = model_class(config).eval()
    # EnCodec's codebooks are buffers that start at zero (real ones come from training), so
    # every code would decode alike: give the tiny model distinct random codewords.
    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    model.generation_config = GenerationConfig(
        do_sample=True, guidance_scale=3.0, max_length=int(window_seconds * 50), top_k=250,
        decoder_start_token_id=2048, pad_token_id=2048, bos_token_id=2048)
    model.save_pretrained(folder)
    if processor is None:
        tokenizer.save_pretrained(folder)
        (folder / "preprocessor_config.json").write_text(json.dumps(MELODY_EXTRACTOR))
    else:
        processor.save_pretrained(folder)
    return folder

