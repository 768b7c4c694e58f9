"""The broad background component of the catalog LM: general English from the bundled generic LM.

pocketsphinx ships a large US English trigram model (``en-us.lm.bin``, 72 k words). Mixing all
of it in would make decoding several times slower, so the background is pruned to a unigram
model over the generic model's most probable words that the CMU dictionary can pronounce,
plus every word a number, price, size or quantity is said with (so that any of those stays
speakable whatever the cut), renormalised to sum to one. Its probabilities are read with
pocketsphinx's own n-gram reader, so nothing is downloaded or converted on disk.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from voxcart.datasets.text.numbers import NUMBER_WORDS, ORDINAL_WORDS
from voxcart.datasets.text.units import CURRENCIES, UNITS
from voxcart.model.errors import ModelError
from voxcart.model.lm.arpa import BOS, EOS, NO_PROB, NgramLm
from voxcart.model.lm.pron_dict import bundled_dict, bundled_dict_path

DEFAULT_WORDS = 2_000
"""Background words kept by default (before the always-kept number and unit words)."""
_WORD = re.compile(r"[a-z][a-z']*")
# Words a shopper uses that must stay speakable whatever the cut (spoken forms).
_SHOPPING = """
    a an and or the of for with without to from in on at by under over below above less more
    than cheapest cheaper cheap best top rated most least compare comparison versus vs
    between which what whats what's how much many is are do does can could i i'm i'd me
    my mine you your show find search look looking need want get buy order reorder add
    remove delete put take cart basket bag checkout check out ship shipping shipped
    deliver delivery arrive track return refund cancel price prices priced cost costs
    sale deal deals discount coupon offer free pack packs pair pairs set sets bundle
    case box bottle bottles can cans jar bag bags roll rolls count dozen half quarter
    each per piece pieces size sizes small medium large extra big bigger smaller new
    used refurbished brand model color colour in stock available please thanks thank
    okay yes no not one a couple few some any all every other another same similar like
    than that this these those it its them they there here now today tomorrow week again
    also just only about around near"""
SHOPPING_WORDS: frozenset[str] = frozenset(_SHOPPING.split())


def required_words() -> frozenset[str]:
    """Words the background always holds: numbers, ordinals, units, currencies, shopping."""
    words = set(NUMBER_WORDS) | set(ORDINAL_WORDS) | SHOPPING_WORDS
    words |= {"hundred", "point", "oh", "minus", "percent"}
    for unit in UNITS:
        words.update(unit.singular.split())
        words.update(unit.plural.split())
    for currency in CURRENCIES:
        words.update(currency.major)
        words.update(currency.minor)
    return frozenset(words)


@lru_cache(maxsize=4)
def background_lm(words: int = DEFAULT_WORDS) -> NgramLm:
    """A unigram model over the generic LM's `words` most probable pronounceable words.

    Args:
        words: how many words to keep, besides :func:`required_words`.

    Raises:
        ModelError: `words` is negative or the bundled generic LM cannot be read.
    """
    if words < 0:
        raise ModelError(f"background words={words} must be >= 0")
    from pocketsphinx import NGramModel, get_model_path

    path = f"{get_model_path('en-us')}/en-us.lm.bin"
    try:
        generic = NGramModel.readfile(path)
    except Exception as exc:  # pocketsphinx raises bare RuntimeError/ValueError
        raise ModelError(f"cannot read the bundled generic LM {path}: {exc}") from exc
    # pocketsphinx's log base is 1.0001; a word the model lacks scores far below -100000.
    to_log10 = math.log10(1.0001)
    cmu = bundled_dict()
    scored: list[tuple[float, str]] = []
    for word in cmu:
        if _WORD.fullmatch(word):
            value = generic.prob([word]) * to_log10
            if value > -12:
                scored.append((value, word))
    scored.sort(key=lambda item: (-item[0], item[1]))
    kept = {w: v for v, w in scored[:words]}
    floor = scored[min(len(scored), max(words, 1)) - 1][0] if scored else -7.0
    for word in required_words():
        if word in cmu and word not in kept:
            value = generic.prob([word]) * to_log10
            kept[word] = value if value > -12 else floor
    kept[EOS] = generic.prob([EOS]) * to_log10
    total = math.log10(sum(10**v for v in kept.values()))
    logprob: dict[tuple[str, ...], float] = {(w,): v - total for w, v in kept.items()}
    logprob[(BOS,)] = NO_PROB
    return NgramLm(order=1, logprob=logprob, backoff={})


def background_source() -> str:
    """Where the background comes from, for reports."""
    return f"pocketsphinx en-us.lm.bin (unigrams), pronounced by {bundled_dict_path().name}"
