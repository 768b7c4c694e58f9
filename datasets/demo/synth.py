"""Offline speech synthesis with the espeak-ng library bundled in the `espeakng-loader` wheel.

Used to build demo projects and test audio without downloading anything. The library is
driven through ctypes; it keeps global state, so every call holds one lock, and each synthesis
runs on a freshly loaded copy of the library so that the same input gives the same samples
(espeak-ng carries waveform phase and noise state from one utterance to the next).
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from voxcart.datasets.errors import SynthesisError

# espeak-ng's speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_PARAM_VOLUME = 2
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_PARAM_PUNCTUATION = 5
_PARAM_CAPITALS = 6
_PARAM_WORDGAP = 7
_EE_OK = 0
_BUFFER_MS = 500

# espeak-ng copies the data path into a fixed buffer (160 bytes on POSIX) and appends file
# names to it; longer or non-ASCII paths make it fail (or, without DONT_EXIT, end the process).
MAX_DATA_PATH_BYTES = 100
MAX_TEXT_CHARS = 5_000
MIN_RATE_WPM, MAX_RATE_WPM = 80, 450
_VARIANT_RE = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-/]{1,64}$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_RAND_SEED = 1

_LOCK = threading.Lock()
_CALLBACK_TYPE = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker: an espeak-ng voice, its variant, speaking rate and pitch.

    Attributes:
        name: espeak-ng voice name as listed by :func:`available_voices` (e.g. ``"en-us"``).
        language: language tag of the voice (e.g. ``"en-US"``); used to pick a voice by
            properties when ``name`` is not installed.
        rate_wpm: speaking rate in words per minute (80-450).
        pitch: base pitch, 0-100 (50 is the voice's default).
        variant: espeak-ng voice variant such as ``"f2"``, ``"m3"`` or ``"klatt"``; None for
            the plain voice.
        pitch_range: intonation range, 0-100 (0 is monotone, 50 the default).
    """

    name: str
    language: str
    rate_wpm: int = 175
    pitch: int = 50
    variant: str | None = None
    pitch_range: int = 50

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise SynthesisError(
                f"Voice.name={self.name!r} is not a valid espeak-ng voice name; "
                "use a name from available_voices(), e.g. 'en-us'"
            )
        if not _NAME_RE.match(self.language):
            raise SynthesisError(
                f"Voice.language={self.language!r} is not a language tag; use e.g. 'en-US'"
            )
        if not MIN_RATE_WPM <= self.rate_wpm <= MAX_RATE_WPM:
            raise SynthesisError(
                f"Voice.rate_wpm={self.rate_wpm!r} must be between {MIN_RATE_WPM} and "
                f"{MAX_RATE_WPM} words per minute"
            )
        for field_name in ("pitch", "pitch_range"):
            value = getattr(self, field_name)
            if not 0 <= value <= 100:
                raise SynthesisError(f"Voice.{field_name}={value!r} must be between 0 and 100")
        if self.variant is not None and not _VARIANT_RE.match(self.variant):
            raise SynthesisError(
                f"Voice.variant={self.variant!r} must be a variant name such as 'f2' or 'm3' "
                "(letters, digits, underscore), or None"
            )

    @property
    def spec(self) -> str:
        """The name espeak-ng selects the voice by: ``name`` plus ``+variant`` if any."""
        return f"{self.name}+{self.variant}" if self.variant else self.name


class _VoiceStruct(ctypes.Structure):
    _fields_ = (
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    )


def _loader() -> Any:
    try:
        import espeakng_loader
    except ImportError as exc:
        raise SynthesisError(
            "speech synthesis needs the espeakng-loader package; run `pip install espeakng-loader`"
        ) from exc
    return espeakng_loader


def _loader_version() -> str:
    try:
        return metadata.version("espeakng-loader")
    except metadata.PackageNotFoundError:
        return "unknown"


def _fits_espeak(path: Path) -> bool:
    text = str(path)
    return text.isascii() and len(text.encode()) <= MAX_DATA_PATH_BYTES


def short_data_path(data_path: Path, cache_root: Path | None = None) -> Path:
    """A path to the espeak-ng data folder that espeak-ng can hold in its path buffer.

    Returns ``data_path`` itself when it is short ASCII; otherwise copies the folder once to
    ``<cache_root>/voxcart-espeak-<version>-<uid>`` (default cache root: the system temp
    folder), private to the user (mode 0700), and returns the copy. A copy found there is
    used only if it is complete and owned by the user, so nobody else can plant voice data.

    Raises:
        SynthesisError: the data folder is missing, or no short ASCII copy can be made.
    """
    if not (data_path / "phontab").is_file():
        raise SynthesisError(
            f"espeak-ng data folder {data_path} is incomplete (no phontab); "
            "reinstall it with `pip install --force-reinstall espeakng-loader`"
        )
    if _fits_espeak(data_path):
        return data_path
    root = cache_root if cache_root is not None else Path(tempfile.gettempdir())
    getuid = getattr(os, "getuid", None)
    user = f"-{getuid()}" if getuid is not None else ""
    target = root / f"voxcart-espeak-{_loader_version()}{user}"
    if not _fits_espeak(target):
        raise SynthesisError(
            f"espeak-ng needs its data at a short ASCII path, but both {data_path} and the "
            f"cache folder {target} are too long or non-ASCII (limit {MAX_DATA_PATH_BYTES} "
            "bytes); set TMPDIR to a short folder such as /tmp"
        )
    marker = target / ".voxcart-complete"
    if marker.is_file():
        return _checked_private(target)
    staging = root / f".voxcart-espeak-{uuid.uuid4().hex}"
    try:
        shutil.copytree(data_path, staging)
        (staging / marker.name).write_text("ok\n", encoding="ascii")
        staging.chmod(0o700)
        try:
            os.replace(staging, target)
        except OSError:
            # Another process finished the same copy first, or a stale partial copy is there.
            if not marker.is_file():
                shutil.rmtree(target, ignore_errors=True)
                os.replace(staging, target)
    except OSError as exc:
        raise SynthesisError(
            f"cannot copy espeak-ng data to the short path {target}: {exc}; "
            "set TMPDIR to a writable short folder"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _checked_private(target)


def _checked_private(folder: Path) -> Path:
    getuid = getattr(os, "getuid", None)
    if getuid is None:  # Windows: the temp folder is already per user
        return folder
    info = folder.stat()
    if info.st_uid != getuid() or info.st_mode & 0o077:
        raise SynthesisError(
            f"espeak-ng data cache {folder} is not private to you (owner uid {info.st_uid}, "
            f"mode {info.st_mode & 0o777:o}); remove it or set TMPDIR to a folder of your own"
        )
    return folder


@lru_cache(maxsize=1)
def _paths() -> tuple[str, bytes]:
    loader = _loader()
    try:
        library = str(loader.get_library_path())
        data = Path(loader.get_data_path())
    except (RuntimeError, OSError) as exc:
        raise SynthesisError(f"espeakng-loader cannot locate espeak-ng: {exc}") from exc
    return library, str(short_data_path(data)).encode("ascii")


def _unload(handle: int) -> None:
    import _ctypes

    close = getattr(_ctypes, "dlclose", None) or getattr(_ctypes, "FreeLibrary", None)
    if close is not None:
        close(handle)


@contextmanager
def _engine() -> Iterator[tuple[Any, int, list[np.ndarray]]]:
    """Load the library, initialise it for synchronous synthesis, unload it afterwards.

    Yields the library, its sample rate and the list the synthesis callback appends to.
    Must be called with ``_LOCK`` held.
    """
    library_path, data_path = _paths()
    try:
        lib = ctypes.CDLL(library_path)
    except OSError as exc:
        raise SynthesisError(
            f"cannot load the espeak-ng library {library_path}: {exc}; "
            "reinstall it with `pip install --force-reinstall espeakng-loader`"
        ) from exc
    chunks: list[np.ndarray] = []

    def collect(wav: Any, count: int, _events: Any) -> int:
        if wav and count > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0  # 0 = continue synthesis

    callback = _CALLBACK_TYPE(collect)
    try:
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_VoiceStruct)]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
        lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data_path, _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise SynthesisError(
                f"espeak-ng failed to initialise with data folder {data_path.decode()} "
                f"(returned {rate}); reinstall with `pip install --force-reinstall espeakng-loader`"
            )
        lib.espeak_SetSynthCallback(callback)
        yield lib, int(rate), chunks
    finally:
        terminate = getattr(lib, "espeak_Terminate", None)
        if terminate is not None:
            terminate()
        # Unloading resets the library's static state, which is what makes output repeatable.
        _unload(lib._handle)


@contextmanager
def espeak_library() -> Iterator[tuple[Any, int]]:
    """Exclusive use of a freshly initialised espeak-ng library (and its sample rate).

    For other espeak-ng calls than synthesis (e.g. ``espeak_TextToPhonemes`` for G2P): holds
    the process-wide lock, so no synthesis runs meanwhile, and unloads the library afterwards.
    """
    with _LOCK, _engine() as (lib, rate, _chunks):
        yield lib, rate


def _languages(raw: int | None) -> list[str]:
    """Decode espeak's language list: (priority byte, NUL-terminated name) pairs, 0-terminated."""
    out: list[str] = []
    if not raw:
        return out
    pos = raw
    while ctypes.c_ubyte.from_address(pos).value != 0:
        name = ctypes.string_at(pos + 1)
        out.append(name.decode("ascii", errors="replace"))
        pos += 2 + len(name)
    return out


@lru_cache(maxsize=1)
def _voice_table() -> tuple[tuple[str, tuple[str, ...]], ...]:
    with _LOCK, _engine() as (lib, _rate, _chunks):
        listing = lib.espeak_ListVoices(None)
        table: list[tuple[str, tuple[str, ...]]] = []
        index = 0
        while listing[index]:
            voice = listing[index].contents
            identifier = (voice.identifier or b"").decode("ascii", errors="replace")
            name = identifier.rsplit("/", 1)[-1].lower()
            table.append((name, tuple(_languages(voice.languages))))
            index += 1
    return tuple(table)


def available_voices(language_prefix: str = "en") -> list[str]:
    """Names of the installed espeak-ng voices whose language starts with `language_prefix`.

    The names (e.g. ``"en-us"``, ``"en-gb-x-rp"``) are what :class:`Voice` takes as ``name``.

    Raises:
        SynthesisError: the espeak-ng library cannot be loaded.
    """
    prefix = language_prefix.lower()
    return sorted(
        {
            name
            for name, languages in _voice_table()
            if name.startswith(prefix) or any(lang.startswith(prefix) for lang in languages)
        }
    )


def _clean_text(text: str) -> bytes:
    if not isinstance(text, str):
        raise SynthesisError(f"text must be a str, got {type(text).__name__}")
    cleaned = _CONTROL_RE.sub(" ", text).strip()
    if not cleaned:
        raise SynthesisError("text is empty; give at least one word to synthesize")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise SynthesisError(
            f"text has {len(cleaned)} characters; the limit is {MAX_TEXT_CHARS}, "
            "split it into sentences"
        )
    return cleaned.encode("utf-8", errors="replace") + b"\0"


def _libc() -> Any | None:
    try:
        return ctypes.CDLL(None)
    except (OSError, TypeError):
        return None  # no POSIX libc handle (Windows)


def _seed_random(lib: Any) -> None:
    # espeak-ng seeds its own generator (breath noise of the f* variants) from the clock, and
    # draws from libc rand() for klatt noise; fixing both makes the output repeat.
    set_seed = getattr(lib, "espeak_ng_SetRandSeed", None)
    if set_seed is not None:
        set_seed.argtypes = [ctypes.c_long]
        set_seed(_RAND_SEED)
    libc = _libc()
    if libc is not None and hasattr(libc, "srand"):
        libc.srand(_RAND_SEED)


def _select_voice(lib: Any, voice: Voice) -> None:
    if lib.espeak_SetVoiceByName(voice.spec.encode("ascii")) == _EE_OK:
        return
    spec = _VoiceStruct()
    spec.languages = ctypes.cast(ctypes.c_char_p(voice.language.lower().encode()), ctypes.c_void_p)
    spec.variant = 0
    if lib.espeak_SetVoiceByProperties(ctypes.byref(spec)) != _EE_OK:
        raise SynthesisError(
            f"espeak-ng has no voice {voice.spec!r} nor any for language {voice.language!r}; "
            "pick a name from available_voices()"
        )


def synthesize(text: str, voice: Voice) -> tuple[np.ndarray, int]:
    """Speak `text` with `voice`.

    Plain text only (no SSML: markup is read as text). The same text and voice give the same
    samples on the same espeak-ng build.

    Returns:
        Mono float32 samples in [-1, 1] and their sample rate (espeak-ng's native rate,
        typically 22050 Hz).

    Raises:
        SynthesisError: the text is empty or too long, the voice is unknown, or the library
            cannot be loaded.
    """
    data = _clean_text(text)
    with _LOCK, _engine() as (lib, rate, chunks):
        _select_voice(lib, voice)
        for parameter, value in (
            (_PARAM_RATE, voice.rate_wpm),
            (_PARAM_PITCH, voice.pitch),
            (_PARAM_RANGE, voice.pitch_range),
            (_PARAM_VOLUME, 100),
            (_PARAM_PUNCTUATION, 0),
            (_PARAM_CAPITALS, 0),
            (_PARAM_WORDGAP, 0),
        ):
            lib.espeak_SetParameter(parameter, value, 0)
        _seed_random(lib)
        status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != _EE_OK:
            raise SynthesisError(f"espeak-ng failed to synthesize {text[:60]!r} (error {status})")
        samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return (samples.astype(np.float32) / 32768.0), rate
