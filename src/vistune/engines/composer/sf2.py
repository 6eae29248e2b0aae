"""A SoundFont cut down to the presets a piece plays.

The synthesiser (midirenderer, i.e. rustysynth) takes a SoundFont as bytes and parses all of
it on every call: about 0.5 s for the 148 MB FluidR3_GM and 1-2 s for the 490 MB
MuseScore_General, paid again for every stem. A piece plays four to six presets, so the
synthesiser gets an SF2 holding only those presets, their instruments and their samples,
built once per set of presets and kept. The big file's preset tables (a few hundred KB) are
read once; its samples are read from disk only for the presets a piece needs.

No maintained Python library writes SF2 files (sf2utils and sf2_loader only read them), so
this is a small writer following the SoundFont 2.04 specification (section 7, "The pdta
sub-chunk"): the records are copied unchanged except for the indices that are renumbered.
"""

from __future__ import annotations

import functools
import struct
from pathlib import Path

import numpy as np

from ...errors import InputError, ModelUnavailable

#: The nine preset-data sub-chunks in file order, as numpy record layouts (little-endian).
LAYOUTS = {
    "phdr": [("name", "S20"), ("preset", "<u2"), ("bank", "<u2"), ("bag", "<u2"),
             ("library", "<u4"), ("genre", "<u4"), ("morphology", "<u4")],
    "pbag": [("gen", "<u2"), ("mod", "<u2")],
    "pmod": [("raw", "V10")],
    "pgen": [("oper", "<u2"), ("amount", "<u2")],
    "inst": [("name", "S20"), ("bag", "<u2")],
    "ibag": [("gen", "<u2"), ("mod", "<u2")],
    "imod": [("raw", "V10")],
    "igen": [("oper", "<u2"), ("amount", "<u2")],
    "shdr": [("name", "S20"), ("start", "<u4"), ("end", "<u4"), ("loop_start", "<u4"),
             ("loop_end", "<u4"), ("rate", "<u4"), ("pitch", "u1"), ("correction", "i1"),
             ("link", "<u2"), ("type", "<u2")],
}
INSTRUMENT, SAMPLE_ID = 41, 53  # the generators that point at an instrument and a sample
CHORUS_SEND = 15  # the generator (and modulator destination) of a zone's chorus send
#: A modulator record's fields (the "raw" V10 of LAYOUTS' pmod and imod).
MODULATOR = np.dtype([("source", "<u2"), ("destination", "<u2"), ("amount", "<i2"),
                      ("amount_source", "<u2"), ("transform", "<u2")])
GUARD = 46  # zero sample points the specification asks for after every sample
PERCUSSION_BANK = 128


class SoundFont:
    """An SF2 file's preset tables, read once; ``subset`` writes smaller SF2 files from it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with path.open("rb") as file:
                self._read(file)
        except OSError as exc:
            raise ModelUnavailable(f"SoundFont {path} cannot be read ({exc.strerror or exc}); "
                                   "check the file or pass another .sf2 file") from None
        except (struct.error, KeyError, ValueError):
            raise InputError(f"{path} is not an SF2 SoundFont (its RIFF chunks are broken); "
                             "pass a .sf2 file such as FluidR3_GM.sf2") from None
        ids = self.tables["phdr"]["bank"][:-1].astype(int) << 16 | \
            self.tables["phdr"]["preset"][:-1]
        self.presets = {int(i): k for k, i in enumerate(ids)}
        if not self.presets:
            raise InputError(f"{path} holds no presets; pass a General MIDI .sf2 file such "
                             "as FluidR3_GM.sf2")

    def _read(self, file) -> None:
        head = file.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
            raise InputError(f"{self.path} is not an SF2 SoundFont (no RIFF sfbk header); "
                             "pass a .sf2 file such as FluidR3_GM.sf2")
        self.info, self.samples, self.samples24, self.tables = b"", (0, 0), None, {}
        end = 8 + struct.unpack("<I", head[4:8])[0]
        position = 12
        while position + 12 <= end:
            file.seek(position)
            kind, size, name = struct.unpack("<4sI4s", file.read(12))
            if kind == b"LIST" and name == b"INFO":
                self.info = file.read(size - 4)
            elif kind == b"LIST" and name in (b"sdta", b"pdta"):
                for chunk, offset, length in _subchunks(file, position + 12, position + 8 + size):
                    if chunk == "smpl":
                        self.samples = (offset, length)
                    elif chunk == "sm24":
                        self.samples24 = (offset, length)
                    elif chunk in LAYOUTS:
                        file.seek(offset)
                        self.tables[chunk] = np.frombuffer(file.read(length),
                                                           dtype=np.dtype(LAYOUTS[chunk]))
            position += 8 + size + (size & 1)
        missing = set(LAYOUTS) - set(self.tables)
        if missing or not self.samples[1]:
            raise KeyError(missing)

    def choose(self, wanted: set[tuple[int, int]]) -> list[int]:
        """The presets the synthesiser would pick for ``wanted`` (bank, program) pairs, with
        rustysynth's fallbacks: program in bank 0, the standard kit (128, 0), the lowest."""
        chosen = set()
        for bank, program in wanted:
            fallback = program if bank < PERCUSSION_BANK else PERCUSSION_BANK << 16
            for preset_id in (bank << 16 | program, fallback, min(self.presets)):
                if preset_id in self.presets:
                    chosen.add(self.presets[preset_id])
                    break
        return sorted(chosen)

    def subset(self, wanted: frozenset[tuple[int, int]]) -> bytes:
        """An SF2 file (bytes) holding only what ``wanted`` (bank, program) pairs play."""
        t = self.tables
        presets = self.choose(set(wanted))
        phdr, pbag, pmod, pgen = _zones(t["phdr"], t["pbag"], t["pmod"], t["pgen"], presets)
        instruments = sorted({int(g["amount"]) for g in pgen if g["oper"] == INSTRUMENT})
        inst, ibag, imod, igen = _zones(t["inst"], t["ibag"], t["imod"], t["igen"], instruments)
        samples = {int(g["amount"]) for g in igen if g["oper"] == SAMPLE_ID}
        linked = t["shdr"]["link"][sorted(samples)]
        stereo = (t["shdr"]["type"][sorted(samples)] & 0x0E) != 0  # right, left or linked
        samples = sorted(samples | {int(k) for k in linked[stereo] if k < len(t["shdr"]) - 1})
        _renumber(pgen, INSTRUMENT, instruments)
        _renumber(igen, SAMPLE_ID, samples)
        shdr, data, data24 = self._samples(samples)
        pdta = b"".join(_chunk(name, table.tobytes()) for name, table in (
            ("phdr", phdr), ("pbag", pbag), ("pmod", pmod), ("pgen", pgen), ("inst", inst),
            ("ibag", ibag), ("imod", imod), ("igen", igen), ("shdr", shdr)))
        sdta = _chunk("smpl", data) + (_chunk("sm24", data24) if data24 is not None else b"")
        body = (b"sfbk" + _chunk("LIST", b"INFO" + self.info) + _chunk("LIST", b"sdta" + sdta)
                + _chunk("LIST", b"pdta" + pdta))
        return _chunk("RIFF", body)

    def sends_to_chorus(self, wanted: frozenset[tuple[int, int]]) -> bool:
        """Whether any zone of what ``wanted`` plays (its presets and their instruments, global
        zones included) may send to the chorus: a chorus-send generator above 0 or a
        modulator aimed at it."""
        t = self.tables
        _, _, pmod, pgen = _zones(t["phdr"], t["pbag"], t["pmod"], t["pgen"],
                                  self.choose(set(wanted)))
        instruments = sorted({int(g["amount"]) for g in pgen if g["oper"] == INSTRUMENT})
        _, _, imod, igen = _zones(t["inst"], t["ibag"], t["imod"], t["igen"], instruments)
        sends = any(((gens["oper"] == CHORUS_SEND) & (gens["amount"].view("<i2") > 0)).any()
                    for gens in (pgen[:-1], igen[:-1]))
        aimed = any((mods["raw"].tobytes() and (np.frombuffer(
            mods["raw"].tobytes(), dtype=MODULATOR)["destination"] == CHORUS_SEND).any())
            for mods in (pmod[:-1], imod[:-1]))
        return bool(sends or aimed)

    def _samples(self, keep: list[int]) -> tuple[np.ndarray, bytes, bytes | None]:
        """The kept sample headers (offsets moved) and their 16-bit (and 24-bit) points."""
        headers = self.tables["shdr"]
        out = np.concatenate([headers[keep], headers[-1:]]).copy()
        pieces, extra, position = [], [], 0
        with self.path.open("rb") as file:
            for row, index in enumerate(keep):
                start, end = int(headers["start"][index]), int(headers["end"][index])
                points = max(0, end - start)
                file.seek(self.samples[0] + 2 * start)
                pieces += [file.read(2 * points), bytes(2 * GUARD)]
                if self.samples24 is not None:
                    file.seek(self.samples24[0] + start)
                    extra += [file.read(points), bytes(GUARD)]
                shift = position - start
                for field in ("start", "end", "loop_start", "loop_end"):
                    out[field][row] = int(headers[field][index]) + shift
                position += points + GUARD
        where = {old: new for new, old in enumerate(keep)}
        out["link"][:-1] = [where.get(int(k), 0) for k in out["link"][:-1]]
        out["start"][-1] = out["end"][-1] = out["loop_start"][-1] = out["loop_end"][-1] = 0
        return out, b"".join(pieces), b"".join(extra) if self.samples24 is not None else None


def _subchunks(file, start: int, end: int):
    """(name, offset, size) of each sub-chunk between ``start`` and ``end``."""
    while start + 8 <= end:
        file.seek(start)
        name, size = struct.unpack("<4sI", file.read(8))
        yield name.decode("latin-1"), start + 8, size
        start += 8 + size + (size & 1)


def _zones(headers, bags, mods, gens, keep: list[int]):
    """Headers ``keep`` (presets or instruments) with their bags, modulators and generators,
    each list ending in its terminal record and its indices renumbered."""
    out_headers, out_bags, out_mods, out_gens = [], [], [], []
    bag_count = gen_count = mod_count = 0
    for index in keep:
        header = headers[index:index + 1].copy()
        header["bag"] = bag_count
        out_headers.append(header)
        for bag in range(int(headers["bag"][index]), int(headers["bag"][index + 1])):
            row = bags[bag:bag + 1].copy()
            row["gen"], row["mod"] = gen_count, mod_count
            out_bags.append(row)
            g0, g1 = int(bags["gen"][bag]), int(bags["gen"][bag + 1])
            m0, m1 = int(bags["mod"][bag]), int(bags["mod"][bag + 1])
            out_gens.append(gens[g0:g1])
            out_mods.append(mods[m0:m1])
            gen_count, mod_count, bag_count = gen_count + g1 - g0, mod_count + m1 - m0, \
                bag_count + 1
    terminal = headers[-1:].copy()
    terminal["bag"] = bag_count
    last_bag = bags[-1:].copy()
    last_bag["gen"], last_bag["mod"] = gen_count, mod_count
    return (np.concatenate(out_headers + [terminal]), np.concatenate(out_bags + [last_bag]),
            np.concatenate(out_mods + [mods[-1:]]), np.concatenate(out_gens + [gens[-1:]]))


def _renumber(gens: np.ndarray, operator: int, kept: list[int]) -> None:
    """Point ``operator`` generators at the kept items' new numbers (in place)."""
    where = {old: new for new, old in enumerate(kept)}
    rows = np.flatnonzero(gens["oper"] == operator)
    gens["amount"][rows] = [where[int(a)] for a in gens["amount"][rows]]


def _chunk(name: str, data: bytes) -> bytes:
    """A RIFF chunk: name, size, data and a pad byte when the size is odd."""
    return name.encode("latin-1") + struct.pack("<I", len(data)) + data + b"\0" * (len(data) & 1)


@functools.lru_cache(maxsize=4)
def load(path: Path) -> SoundFont:
    """The SoundFont at ``path``, its tables read once per file."""
    return SoundFont(path)


@functools.lru_cache(maxsize=64)
def sends_to_chorus(path: Path, wanted: frozenset[tuple[int, int]]) -> bool:
    """Whether what ``wanted`` plays may send to the chorus (see SoundFont.sends_to_chorus)."""
    return load(path).sends_to_chorus(wanted)


@functools.lru_cache(maxsize=16)  # per preset: at most about the whole file's size
def subset_bytes(path: Path, wanted: frozenset[tuple[int, int]]) -> bytes:
    """An SF2 file (bytes) with only the presets ``wanted`` plays, built once per set."""
    return load(path).subset(wanted)
