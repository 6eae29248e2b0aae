"""Tiny BLIP, MusicGen and ACE-Step checkpoints built from configs, saved with save_pretrained.

They keep the real checkpoints' structure (BLIP's [DEC] bos and [SEP] eos tokens and BERT
WordPiece tokenizer; MusicGen's 32 kHz EnCodec at 50 frames/s with 4 codebooks of 2048, decoder
start/pad token 2048, a T5 encoder with a Unigram tokenizer) and shrink only the widths and
depths, so the code users run loads them through the same from_pretrained calls. ACE-Step's is
a diffusers AceStepPipeline folder (see build_ace_step).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

BLIP_WORDS = ("a an image of photo picture forest with trees tall green the sunset over sea "
              "city at night street and cat sitting on misty sky").split()
#: Words of the tiny ACE-Step tokenizer (a WordLevel model; anything else is [UNK]): the
#: pipeline's prompt template, the metadata it writes, and the words VisTune's prompts use.
ACE_WORDS = (
    "# - : , . [ ] | instruction caption metas bpm timesignature keyscale duration seconds "
    "languages lyric lyrics n/a en fill the audio semantic mask based on given conditions "
    "generate tokens repaint area extract track from complete input with instrumental verse "
    "chorus bridge intro outro a an and of in to is calm bright dark warm cold happy sad "
    "epic ambient piano guitar drums bass strings synth pad pop rock jazz electronic "
    "orchestral lofi slow fast soft loud major minor c d e f g b 0 1 2 3 4 5 6 7 8 9 10").split()
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



def _ace_tokenizer():
    """A WordLevel tokenizer standing in for Qwen3's (numbers 11-300 for bpm and seconds)."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab: dict[str, int] = {}
    for token in ["[PAD]", "[UNK]", "<|endoftext|>", *ACE_WORDS, *map(str, range(11, 301))]:
        vocab.setdefault(token, len(vocab))
    model = Tokenizer(WordLevel(vocab=vocab, unk_token="[UNK]"))
    model.normalizer = normalizers.Lowercase()
    model.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=model, unk_token="[UNK]",
                                        pad_token="[PAD]", eos_token="<|endoftext|>",
                                        model_max_length=2048)
    # matched whole, before the pre-tokenizer splits on punctuation
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|endoftext|>"]})
    return tokenizer


def build_ace_step(folder: Path, *, seed: int = 0, turbo: bool = True) -> Path:
    """A tiny ACE-Step 1.5 pipeline (diffusers' AceStepPipeline), as diffusers' own tests build
    it, but with the released checkpoints' audio side: AutoencoderOobleck at 48 kHz stereo with
    hop 1920 (2*4*4*6*10), so 25 latent frames a second, and the audio tokenizer and
    detokenizer that the ``cover`` task uses. ``turbo``: guidance-distilled, no CFG pass."""
    import torch
    from diffusers import AceStepPipeline, AutoencoderOobleck, FlowMatchEulerDiscreteScheduler
    from diffusers.models.transformers.ace_step_transformer import AceStepTransformer1DModel
    from diffusers.pipelines.ace_step import (
        AceStepAudioTokenDetokenizer,
        AceStepAudioTokenizer,
        AceStepConditionEncoder,
    )
    from transformers import Qwen3Config, Qwen3Model

    # The VAE's latent width (its encoder's half: mean and scale); the DiT reads 3 of them
    # (noisy latents, source latents, chunk mask), the timbre encoder one.
    acoustic, hidden, text = 8, 32, 16
    attention = dict(num_attention_heads=4, num_key_value_heads=2, head_dim=8,
                     rope_theta=10000.0, sliding_window=16)
    tokenizer = _ace_tokenizer()
    torch.manual_seed(seed)
    transformer = AceStepTransformer1DModel(
        hidden_size=hidden, intermediate_size=64, num_hidden_layers=2, in_channels=3 * acoustic,
        audio_acoustic_hidden_dim=acoustic, patch_size=2, is_turbo=turbo,
        model_version="turbo" if turbo else "base", **attention)
    text_encoder = Qwen3Model(Qwen3Config(
        hidden_size=text, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=1, head_dim=8, vocab_size=len(tokenizer),
        max_position_embeddings=2048, pad_token_id=tokenizer.pad_token_id))
    condition_encoder = AceStepConditionEncoder(
        hidden_size=hidden, intermediate_size=64, text_hidden_dim=text,
        timbre_hidden_dim=acoustic, num_lyric_encoder_hidden_layers=2,
        num_timbre_encoder_hidden_layers=2, **attention)
    with torch.no_grad():  # real checkpoints carry encoded silence here; zeros would be silent
        condition_encoder.silence_latent.normal_(0.0, 0.5)
    codes = dict(hidden_size=hidden, intermediate_size=64, audio_acoustic_hidden_dim=acoustic,
                 pool_window_size=5, num_attention_pooler_hidden_layers=1, **attention)
    with warnings.catch_warnings():  # diffusers' Oobleck still uses torch's old weight_norm
        warnings.filterwarnings("ignore", ".*weight_norm", FutureWarning)
        vae = AutoencoderOobleck(
            encoder_hidden_size=2 * acoustic, downsampling_ratios=[2, 4, 4, 6, 10],
            channel_multiples=[1, 1, 1, 1, 1], decoder_channels=4,
            decoder_input_channels=acoustic, audio_channels=2, sampling_rate=48000)
    pipe = AceStepPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer,
        condition_encoder=condition_encoder,
        # as the converter registers it: the pipeline passes its own sigmas in [0, 1]
        scheduler=FlowMatchEulerDiscreteScheduler(num_train_timesteps=1, shift=1.0),
        audio_tokenizer=AceStepAudioTokenizer(fsq_dim=hidden, fsq_input_levels=[4, 4, 4],
                                              **codes),
        audio_token_detokenizer=AceStepAudioTokenDetokenizer(**codes))
    pipe.save_pretrained(folder)
    return Path(folder)
