"""Offline pronunciations for words the CMU dictionary lacks (brands, model names).

espeak-ng (the library bundled in ``espeakng-loader``, driven through
:mod:`voxcart.datasets.demo.synth`'s loader and lock) turns a word into IPA phonemes; the table
below maps them onto the 39-phone CMU set of pocketsphinx's en-us acoustic model.

IPA (espeak-ng en-us) -> CMU mapping. Stress (ˈ ˌ), length (ː) and syllable marks are dropped
before lookup; r-coloured vowels written as vowel + ɹ keep the ``R``:

=========================  ======  =========================  ======
IPA                        CMU     IPA                        CMU
=========================  ======  =========================  ======
i, iː, iə                  IY      p b t d k ɡ/g              P B T D K G
ɪ, ᵻ, ɨ                    IH      f v                        F V
e, ɛ                       EH      θ ð                        TH DH
æ, a                       AE      s z ʃ ʒ                    S Z SH ZH
ɑ, ɑː, ɒ                   AA      h, ɦ, x, ç                 HH
ɔ, ɔː                      AO      tʃ dʒ                      CH JH
ʌ, ə, ɐ, ɘ, ɜ              AH      m n ŋ                      M N NG
ɚ, ɜː, ɝ                   ER      l, ɫ, l̩                    L (l̩: AH L)
ʊ                          UH      ɹ, r, ɾ̃ (no flap)          R
u, uː, ʉ                   UW      ɾ (flap)                   T
eɪ                         EY      ʔ (glottal stop)           T
aɪ, aɪə                    AY (+AH for aɪə)  w, ʍ             W
ɔɪ                         OY      j                          Y
aʊ                         AW      n̩ / m̩                     AH N / AH M
oʊ, əʊ, o                  OW
=========================  ======  =========================  ======
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from voxcart.model.errors import ModelError

# espeak-ng speak_lib.h: IPA output, with "_" (bits 8-23) separating phonemes.
_CHARS_UTF8 = 1
_PHONEMES_IPA = 0x02
_SEPARATOR = "_"
_MODE = _PHONEMES_IPA | (ord(_SEPARATOR) << 8)
_VOICE = b"en-us"
_MAX_WORD_CHARS = 64
_WORD_RE = re.compile(r"^[a-z][a-z']*$")

IPA_TO_CMU: dict[str, tuple[str, ...]] = {
    "i": ("IY",), "iə": ("IY", "AH"), "ɪ": ("IH",), "ᵻ": ("IH",), "ɨ": ("IH",),
    "e": ("EH",), "ɛ": ("EH",), "æ": ("AE",), "a": ("AE",),
    "ɑ": ("AA",), "ɒ": ("AA",), "ɔ": ("AO",),
    "ʌ": ("AH",), "ə": ("AH",), "ɐ": ("AH",), "ɘ": ("AH",), "ɜ": ("ER",),
    "ɚ": ("ER",), "ɝ": ("ER",), "ʊ": ("UH",), "u": ("UW",), "ʉ": ("UW",),
    "eɪ": ("EY",), "aɪ": ("AY",), "aɪə": ("AY", "AH"), "ɔɪ": ("OY",), "aʊ": ("AW",),
    "oʊ": ("OW",), "əʊ": ("OW",), "o": ("OW",),
    "ɛɹ": ("EH", "R"), "ɑɹ": ("AA", "R"), "ɔɹ": ("AO", "R"), "ɪɹ": ("IH", "R"),
    "ʊɹ": ("UH", "R"), "oɹ": ("AO", "R"), "əɹ": ("ER",), "aɪɚ": ("AY", "ER"),
    "aʊɚ": ("AW", "ER"), "iɚ": ("IY", "ER"), "eɚ": ("EH", "R"),
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "k": ("K",), "ɡ": ("G",), "g": ("G",),
    "f": ("F",), "v": ("V",), "θ": ("TH",), "ð": ("DH",), "s": ("S",), "z": ("Z",),
    "ʃ": ("SH",), "ʒ": ("ZH",), "h": ("HH",), "ɦ": ("HH",), "x": ("HH",), "ç": ("HH",),
    "tʃ": ("CH",), "dʒ": ("JH",), "m": ("M",), "n": ("N",), "ŋ": ("NG",),
    "l": ("L",), "ɫ": ("L",), "l̩": ("AH", "L"), "n̩": ("AH", "N"), "m̩": ("AH", "M"),
    "ɹ": ("R",), "r": ("R",), "ɾ": ("T",), "ʔ": ("T",), "w": ("W",), "ʍ": ("W",), "j": ("Y",),
}  # fmt: skip
CMU_PHONES = frozenset(
    (
        "AA", "AE", "AH", "AO", "AW", "AY", "B", "CH", "D", "DH", "EH", "ER", "EY", "F", "G",
        "HH", "IH", "IY", "JH", "K", "L", "M", "N", "NG", "OW", "OY", "P", "R", "S", "SH", "T",
        "TH", "UH", "UW", "V", "W", "Y", "Z", "ZH",
    )
)  # fmt: skip
_DROP = str.maketrans("", "", "ˈˌːˑ.‿|'")


def ipa_to_cmu(phonemes: Sequence[str]) -> list[str]:
    """Map espeak-ng IPA phonemes (one per item, stress marks allowed) to CMU phones.

    Raises:
        ModelError: a phoneme has no entry in :data:`IPA_TO_CMU`.
    """
    out: list[str] = []
    for raw in phonemes:
        phone = unicodedata.normalize("NFC", raw.translate(_DROP))
        if not phone:
            continue
        mapped = IPA_TO_CMU.get(phone)
        if mapped is None:
            # A merged cluster espeak did not separate ("ɛɹ" is listed; others split by char).
            mapped = tuple(p for char in phone for p in IPA_TO_CMU.get(char, ("?",)))
            if "?" in mapped:
                raise ModelError(
                    f"IPA phoneme {raw!r} has no CMU mapping; "
                    "add it to voxcart.model.lm.g2p.IPA_TO_CMU"
                )
        out.extend(mapped)
    return out


def pronounce(words: Iterable[str]) -> dict[str, str]:
    """Pronunciations for lowercase words, as space-separated CMU phones.

    Words that are empty, too long, not ``[a-z']`` or that espeak-ng cannot phonemize are
    left out of the result (the caller decides what to do without them).

    Raises:
        ModelError: the espeak-ng library cannot be loaded.
    """
    wanted = sorted({w for w in words if _WORD_RE.match(w) and len(w) <= _MAX_WORD_CHARS})
    if not wanted:
        return {}
    from voxcart.datasets.demo.synth import espeak_library
    from voxcart.datasets.errors import SynthesisError

    result: dict[str, str] = {}
    try:
        with espeak_library() as (lib, _rate):
            lib.espeak_TextToPhonemes.argtypes = [
                ctypes.POINTER(ctypes.c_char_p),
                ctypes.c_int,
                ctypes.c_int,
            ]
            lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
            if lib.espeak_SetVoiceByName(_VOICE) != 0:
                raise ModelError("espeak-ng has no en-us voice; reinstall espeakng-loader")
            for word in wanted:
                phones = _phonemize(lib, word)
                if phones:
                    result[word] = " ".join(phones)
    except SynthesisError as exc:
        raise ModelError(f"G2P needs espeak-ng: {exc}") from exc
    return result


def _phonemize(lib: Any, word: str) -> list[str]:
    buffer = ctypes.c_char_p(word.encode("utf-8"))
    pointer = ctypes.pointer(buffer)
    pieces: list[str] = []
    # The call consumes one clause per call and advances the pointer (NULL at the end).
    for _ in range(8):
        if not buffer.value:
            break
        raw = lib.espeak_TextToPhonemes(pointer, _CHARS_UTF8, _MODE)
        if raw:
            pieces.append(raw.decode("utf-8", errors="replace"))
    phonemes = [p for piece in pieces for chunk in piece.split() for p in chunk.split(_SEPARATOR)]
    try:
        phones = ipa_to_cmu(phonemes)
    except ModelError:
        return []
    return [p for p in phones if p in CMU_PHONES]
