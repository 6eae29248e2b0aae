"""Randomly initialised models in the exact architectures of the default checkpoints.

A forward pass costs the same whatever the weights' values, so these give honest speed figures
on machines that cannot download the real weights. They are saved with save_pretrained and
loaded back through VisTune's own loading code.
"""

from __future__ import annotations

from pathlib import Path


def musicgen_small(folder: Path) -> Path:
    """facebook/musicgen-small's architecture: 1024 x 24 decoder, 4 x 2048 codebooks, T5-base,
    32 kHz EnCodec."""
    import torch
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        GenerationConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
        T5Tokenizer,
    )

    vocab = ([("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
             + [(f"\u2581w{i}", -8.0) for i in range(32000)]
             + [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz0123456789,.-#"])
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    text = T5Config(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12,
                    num_heads=12)
    audio = EncodecConfig(audio_channels=1, codebook_size=2048, codebook_dim=128,
                          hidden_size=128, num_filters=64, sampling_rate=32000,
                          target_bandwidths=[2.2], upsampling_ratios=[8, 5, 4, 4],
                          use_causal_conv=False, use_conv_shortcut=False, num_lstm_layers=2)
    decoder = MusicgenDecoderConfig(vocab_size=2048, max_position_embeddings=2048,
                                    num_hidden_layers=24, ffn_dim=4096, num_attention_heads=16,
                                    hidden_size=1024, num_codebooks=4, pad_token_id=2048,
                                    bos_token_id=2048, decoder_start_token_id=2048)
    config = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=audio.to_dict(),
                            decoder=decoder.to_dict())
    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(config).eval()
    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    model.generation_config = GenerationConfig(
        do_sample=True, guidance_scale=3.0, max_length=1500, top_k=250,
        decoder_start_token_id=2048, pad_token_id=2048, bos_token_id=2048)
    model.save_pretrained(folder)
    MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(feature_size=1,
                                                                sampling_rate=32000),
                      tokenizer=tokenizer).save_pretrained(folder)
    return folder


def blip_model(folder: Path, *, size: str = "large") -> Path:
    """Salesforce/blip-image-captioning-large's architecture: ViT-L/16 at 384 px + BERT-base.

    ``size="base"`` gives blip-image-captioning-base's instead (ViT-B/16 at 384 px)."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessorPil,
        BlipProcessor,
    )

    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{i}" for i in range(30517)]
    tokens += ["[DEC]", "[ENC]"]
    vocab = {t: i for i, t in enumerate(tokens)}
    tokenizer = BertTokenizer(vocab=vocab, bos_token="[DEC]", additional_special_tokens=["[ENC]"])
    config = BlipConfig(
        text_config=dict(vocab_size=len(tokens), hidden_size=768, num_hidden_layers=12,
                         num_attention_heads=12, intermediate_size=3072,
                         encoder_hidden_size=1024 if size == "large" else 768,
                         bos_token_id=vocab["[DEC]"],
                         sep_token_id=vocab["[SEP]"], eos_token_id=vocab["[SEP]"],
                         pad_token_id=0),
        # BLIP's vision initializer_range is 1e-10: weights that small make denormal
        # arithmetic, which distorts timings. 0.02 is the realistic scale.
        vision_config=dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                           num_attention_heads=16, image_size=384, patch_size=16,
                           initializer_range=0.02)
        if size == "large" else
        dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
             num_attention_heads=12, image_size=384, patch_size=16, initializer_range=0.02))
    torch.manual_seed(0)
    BlipForConditionalGeneration(config).eval().save_pretrained(folder)
    BlipProcessor(image_processor=BlipImageProcessorPil(
        size={"height": 384, "width": 384}, image_mean=[0.48145466, 0.4578275, 0.40821073],
        image_std=[0.26862954, 0.26130258, 0.27577711]),
        tokenizer=tokenizer).save_pretrained(folder)
    return folder
