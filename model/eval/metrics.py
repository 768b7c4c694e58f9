"""Recognition metrics on normalized text: WER, CER, entity errors, prices, search success.

A clip is scored once (:func:`score_clip`) into counts; counts add up over any set of clips
(:func:`aggregate`), so that a slice's metrics are exact corpus-level rates, not averages of
per-clip rates.

- WER / CER: counted by :mod:`voxcart.datasets.text.wer`, whose empty-reference rule they
  follow (0.0 for an empty reference and hypothesis, None for words said against an empty
  reference; no rate for no clips).
- Entity errors: the catalog entities of the reference (brand, product type, model,
  attribute: :meth:`EntityVocabulary.match`) and its spoken prices that the hypothesis does not
  contain (a multiset match on kind and text, wherever they appear). A wrong model number or a
  wrong price is a missed entity.
- Prices: a spoken amount with a currency, found with the normalizer's number parser:
  "forty nine dollars ninety nine cents", "fifty dollars", "ninety nine cents",
  "twenty euros and fifty cents". Amounts said without a currency word are not prices.
  "pound" is a weight, not sterling, unless pence follow or a price word comes just before
  it and no container or "of" just after ("under five pounds", "ten pounds fifty pence" are
  prices; "a five pound bag", "five pounds of rice" are sizes).
- Sizes: a spoken amount with a unit of weight, volume, length, storage, pack or count
  ("five pound", "twelve fluid ounces", "one point five liters", "six pack"), keyed by value
  and written unit ("5 lb"). A catalog attribute that is a size is counted as a size, once.
- Search success: the reference's top product under :class:`ProductSearch` is the
  hypothesis's top product (top-1) or among its five best (top-5). Clips whose reference
  finds no product are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from voxcart.datasets.catalog.vocab import KINDS, EntityVocabulary
from voxcart.datasets.text.normalize import normalize
from voxcart.datasets.text.numbers import ONES, parse_number
from voxcart.datasets.text.units import CURRENCIES, UNITS, Currency, Unit
from voxcart.datasets.text.wer import char_errors, error_rate, word_errors
from voxcart.model.eval.product_search import ProductSearch

ENTITY_KINDS: tuple[str, ...] = (*KINDS, "price", "size")
SEARCH_DEPTH = 5
_DIGITS = {word: str(value) for value, word in enumerate(ONES[:10])} | {"oh": "0"}
_MAJOR = {word: c for c in CURRENCIES for word in c.major}
_MINOR_WORDS = {word for c in CURRENCIES for word in c.minor}
_UNIT_PHRASES: dict[tuple[str, ...], Unit] = {
    tuple(form.split()): u for u in UNITS for form in (u.singular, u.plural)
}
_LONGEST_UNIT = max(len(k) for k in _UNIT_PHRASES)
_WEIGHT_POUND = frozenset({"pound", "pounds"})
_PRICE_CUES = frozenset(
    {"under", "below", "over", "above", "than", "for", "cost", "costs", "costing", "priced",
     "price", "pay", "paid", "spend", "budget", "only", "just", "is", "was", "at"}
)  # fmt: skip
_AFTER_WEIGHT = frozenset(
    {"of", "bag", "bags", "box", "sack", "tub", "bucket", "pack", "bottle", "jar", "can", "case",
     "block", "roll", "weight", "weights", "dumbbell", "dumbbells"}
)  # fmt: skip


@dataclass(frozen=True)
class PriceMention:
    """A spoken price in a token list: tokens[start:end], its currency code and amount."""

    start: int
    end: int
    currency: str
    amount_minor: int

    @property
    def text(self) -> str:
        """A canonical key such as ``"USD 49.99"``."""
        major, minor = divmod(self.amount_minor, 100)
        return f"{self.currency} {major}.{minor:02d}"


def _minor_part(tokens: Sequence[str], i: int, currency: Currency) -> tuple[int, int] | None:
    """(minor amount, end) for "[and] ninety nine cents" at `i`, or None."""
    if i < len(tokens) and tokens[i] == "and":
        i += 1
    parsed = parse_number(tokens, i)
    if parsed is None or parsed[0] >= 100:
        return None
    value, j = parsed
    if j < len(tokens) and tokens[j] in currency.minor:
        return value, j + 1
    return None


def _is_sterling(words: Sequence[str], start: int, unit_at: int) -> bool:
    """Whether "<number> pound(s)" at `start`..`unit_at` is money rather than a weight."""
    after = words[unit_at + 1] if unit_at + 1 < len(words) else ""
    if after in {"pence", "penny", "p", "sterling"}:
        return True
    if after in _AFTER_WEIGHT or (words[unit_at] == "pound" and after):
        return False  # "five pound bag", "five pounds of", adjectival "pound" before a noun
    if _minor_part(words, unit_at + 1, _MAJOR["pounds"]) is not None:
        return True
    return bool(_PRICE_CUES.intersection(words[max(0, start - 2) : start]))


def find_prices(tokens: Sequence[str] | str) -> list[PriceMention]:
    """Spoken prices in normalized tokens (a string is normalized and split first)."""
    words = normalize(tokens).split() if isinstance(tokens, str) else list(tokens)
    found: list[PriceMention] = []
    i = 0
    while i < len(words):
        parsed = parse_number(words, i)
        if parsed is None:
            i += 1
            continue
        value, j = parsed
        if j < len(words) and words[j] in _WEIGHT_POUND and not _is_sterling(words, i, j):
            i = j + 1
            continue
        if j < len(words) and words[j] in _MAJOR:
            currency = _MAJOR[words[j]]
            minor = _minor_part(words, j + 1, currency)
            cents, end = minor if minor is not None else (0, j + 1)
            found.append(PriceMention(i, end, currency.codes[0], value * 100 + cents))
            i = end
        elif j < len(words) and words[j] in _MINOR_WORDS and value < 100:
            code = next(c.codes[0] for c in CURRENCIES if words[j] in c.minor)
            found.append(PriceMention(i, j + 1, code, value))
            i = j + 1
        else:
            i = j
    return found


@dataclass(frozen=True)
class SizeMention:
    """A spoken size in a token list: tokens[start:end], its value and written unit."""

    start: int
    end: int
    value: str
    unit: str

    @property
    def text(self) -> str:
        """A canonical key such as ``"5 lb"`` or ``"1.5 L"``."""
        return f"{self.value} {self.unit}"


def _amount(words: Sequence[str], i: int) -> tuple[str, int] | None:
    """("5" or "1.5", end) for a spoken number with optional "point" digits at `i`."""
    parsed = parse_number(words, i)
    if parsed is None:
        return None
    value, j = parsed
    text = str(value)
    if j + 1 < len(words) and words[j] == "point":
        digits = ""
        k = j + 1
        while k < len(words) and words[k] in _DIGITS:
            digits += _DIGITS[words[k]]
            k += 1
        if digits:
            text, j = f"{value}.{digits}", k
    return text, j


def find_sizes(tokens: Sequence[str] | str) -> list[SizeMention]:
    """Spoken sizes (amount + unit) in normalized tokens; sterling "pounds" are left out."""
    words = normalize(tokens).split() if isinstance(tokens, str) else list(tokens)
    found: list[SizeMention] = []
    i = 0
    while i < len(words):
        amount = _amount(words, i)
        if amount is None:
            i += 1
            continue
        text, j = amount
        for length in range(min(_LONGEST_UNIT, len(words) - j), 0, -1):
            unit = _UNIT_PHRASES.get(tuple(words[j : j + length]))
            if unit is None:
                continue
            if words[j] in _WEIGHT_POUND and _is_sterling(words, i, j):
                break
            found.append(SizeMention(i, j + length, text, unit.written))
            j += length
            break
        i = max(j, i + 1)
    return found


@dataclass(frozen=True)
class EntityTally:
    """Reference entities of one kind and how many of them the hypothesis missed."""

    kind: str
    reference: int
    missed: int

    @property
    def error_rate(self) -> float | None:
        """Missed / reference, or None without reference entities."""
        return self.missed / self.reference if self.reference else None


def entity_tallies(
    reference: str, hypothesis: str, vocabulary: EntityVocabulary | None = None
) -> tuple[tuple[EntityTally, ...], tuple[str, ...]]:
    """Per-kind entity tallies of one clip and the missed entities as ``"kind:text"``.

    Without a vocabulary only prices are counted (the catalog kinds tally zero).
    """
    ref_words, hyp_words = normalize(reference).split(), normalize(hypothesis).split()
    wanted = _entities(ref_words, vocabulary)
    found = _entities(hyp_words, vocabulary)
    missed = wanted - found
    tallies = tuple(
        EntityTally(
            kind,
            sum(n for (k, _), n in wanted.items() if k == kind),
            sum(n for (k, _), n in missed.items() if k == kind),
        )
        for kind in ENTITY_KINDS
    )
    missed_list = tuple(
        f"{kind}:{text}" for (kind, text), n in sorted(missed.items()) for _ in range(n)
    )
    return tallies, missed_list


def _entities(words: list[str], vocabulary: EntityVocabulary | None) -> Counter[tuple[str, str]]:
    """(kind, text) of every entity in normalized words; a size is counted once, as a size."""
    out: Counter[tuple[str, str]] = Counter()
    sizes = find_sizes(words)
    covered = {k for m in sizes for k in range(m.start, m.end)}
    if vocabulary is not None:
        for span in vocabulary.match(words):
            inside = covered.issuperset(range(span.start, span.end))
            if not (span.kind == "attribute" and inside):
                out[(span.kind, span.text)] += 1
    out.update(("price", p.text) for p in find_prices(words))
    out.update(("size", m.text) for m in sizes)
    return out


def search_outcome(
    search: ProductSearch, reference: str, hypothesis: str, depth: int = SEARCH_DEPTH
) -> tuple[bool | None, bool | None]:
    """(top-1 hit, top-`depth` hit) of the hypothesis against the reference's top product.

    Both are None when the reference finds no product.
    """
    target = search.search(reference, 1)
    if not target:
        return None, None
    found = search.search(hypothesis, depth) if hypothesis.strip() else []
    return bool(found) and found[0] == target[0], target[0] in found


class _WordEdits:
    """The word edit total of a clip's score and of a set's metrics."""

    substitutions: int
    deletions: int
    insertions: int

    @property
    def word_errors(self) -> int:
        """Substitutions + deletions + insertions."""
        return self.substitutions + self.deletions + self.insertions


@dataclass(frozen=True)
class ClipScore(_WordEdits):
    """The error counts of one hypothesis against its reference (both normalized).

    Attributes:
        reference: the normalized reference.
        hypothesis: the normalized hypothesis.
        ref_words: words in the reference.
        substitutions: substituted words.
        deletions: reference words missing from the hypothesis.
        insertions: hypothesis words not in the reference.
        ref_chars: characters in the reference (spaces included).
        char_errors: character edits.
        entities: per-kind entity tallies, one per :data:`ENTITY_KINDS`.
        missed_entities: the reference entities the hypothesis lacks, as ``"kind:text"``.
        search_top1: hypothesis finds the reference's product first (None: not searchable).
        search_top5: ... among its five best (None: not searchable).
    """

    reference: str
    hypothesis: str
    ref_words: int
    substitutions: int
    deletions: int
    insertions: int
    ref_chars: int
    char_errors: int
    entities: tuple[EntityTally, ...]
    missed_entities: tuple[str, ...] = ()
    search_top1: bool | None = None
    search_top5: bool | None = None

    @property
    def wer(self) -> float | None:
        """This clip's WER (0.0 for an empty reference and hypothesis, None for words said
        against an empty reference)."""
        return error_rate(self.word_errors, self.ref_words)


def score_clip(
    reference: str,
    hypothesis: str,
    *,
    vocabulary: EntityVocabulary | None = None,
    search: ProductSearch | None = None,
) -> ClipScore:
    """Score one hypothesis; both texts are normalized first (normalizing is idempotent).

    Args:
        reference: the true transcript (written or spoken form).
        hypothesis: the model's transcript.
        vocabulary: the catalog's entities (None: only prices are counted as entities).
        search: a product search (None: search success is not scored).
    """
    ref, hyp = normalize(reference), normalize(hypothesis)
    words = word_errors(ref, hyp, normalized=True)
    edits, ref_chars = char_errors(ref, hyp, normalized=True)
    tallies, missed = entity_tallies(ref, hyp, vocabulary)
    top1, top5 = search_outcome(search, ref, hyp) if search is not None else (None, None)
    return ClipScore(
        reference=ref,
        hypothesis=hyp,
        ref_words=words.ref_words,
        substitutions=words.substitutions,
        deletions=words.deletions,
        insertions=words.insertions,
        ref_chars=ref_chars,
        char_errors=edits,
        entities=tallies,
        missed_entities=missed,
        search_top1=top1,
        search_top5=top5,
    )


@dataclass(frozen=True)
class Metrics(_WordEdits):
    """Summed counts of a set of clips and the rates they give.

    Attributes:
        clips: clips scored.
        ref_words: reference words.
        substitutions: substituted words.
        deletions: deleted words.
        insertions: inserted words.
        ref_chars: reference characters.
        char_errors: character edits.
        entities: reference and missed entities per kind (:data:`ENTITY_KINDS`).
        searchable: clips whose reference finds a product.
        top1_hits: of those, clips whose hypothesis finds the same product first.
        top5_hits: of those, clips whose hypothesis has it among its five best.
    """

    clips: int
    ref_words: int
    substitutions: int
    deletions: int
    insertions: int
    ref_chars: int
    char_errors: int
    entities: tuple[EntityTally, ...]
    searchable: int
    top1_hits: int
    top5_hits: int

    @property
    def wer(self) -> float | None:
        """Corpus WER: word errors per reference word (None without clips, or for words said
        against only empty references)."""
        return error_rate(self.word_errors, self.ref_words) if self.clips else None

    @property
    def cer(self) -> float | None:
        """Corpus CER: character edits per reference character (None as for :attr:`wer`)."""
        return error_rate(self.char_errors, self.ref_chars) if self.clips else None

    @property
    def entity_error_rate(self) -> float | None:
        """Missed reference entities (all kinds) per reference entity (None without any)."""
        total = sum(t.reference for t in self.entities)
        return sum(t.missed for t in self.entities) / total if total else None

    def entity_rate(self, kind: str) -> float | None:
        """The entity error rate of one kind (None without reference entities of that kind).

        Raises:
            ValueError: `kind` is not one of :data:`ENTITY_KINDS`.
        """
        for tally in self.entities:
            if tally.kind == kind:
                return tally.error_rate
        raise ValueError(f"kind={kind!r}: use one of {', '.join(ENTITY_KINDS)}")

    @property
    def search_top1(self) -> float | None:
        """Share of searchable clips whose hypothesis finds the reference's product first."""
        return self.top1_hits / self.searchable if self.searchable else None

    @property
    def search_top5(self) -> float | None:
        """Share of searchable clips whose hypothesis has it among its five best."""
        return self.top5_hits / self.searchable if self.searchable else None

    def to_dict(self) -> dict[str, Any]:
        """Counts and rates as JSON-compatible values."""
        return {
            "clips": self.clips,
            "ref_words": self.ref_words,
            "wer": self.wer,
            "cer": self.cer,
            "substitutions": self.substitutions,
            "deletions": self.deletions,
            "insertions": self.insertions,
            "entity_error_rate": self.entity_error_rate,
            "entities": {
                t.kind: {"reference": t.reference, "missed": t.missed, "error_rate": t.error_rate}
                for t in self.entities
            },
            "searchable": self.searchable,
            "search_top1": self.search_top1,
            "search_top5": self.search_top5,
        }


def aggregate(scores: Iterable[ClipScore]) -> Metrics:
    """Sum clip scores into corpus-level metrics (an empty input gives zero counts)."""
    items = list(scores)
    return Metrics(
        clips=len(items),
        ref_words=sum(s.ref_words for s in items),
        substitutions=sum(s.substitutions for s in items),
        deletions=sum(s.deletions for s in items),
        insertions=sum(s.insertions for s in items),
        ref_chars=sum(s.ref_chars for s in items),
        char_errors=sum(s.char_errors for s in items),
        entities=tuple(
            EntityTally(
                kind,
                sum(t.reference for s in items for t in s.entities if t.kind == kind),
                sum(t.missed for s in items for t in s.entities if t.kind == kind),
            )
            for kind in ENTITY_KINDS
        ),
        searchable=sum(1 for s in items if s.search_top1 is not None),
        top1_hits=sum(1 for s in items if s.search_top1),
        top5_hits=sum(1 for s in items if s.search_top5),
    )
