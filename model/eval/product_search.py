"""A small lexical product search (BM25) over a catalog, to ask "would this transcript find it?".

Each product is a document of its title, brand, model and category in normalized (spoken)
form; a query is normalized the same way. Both sides drop a few filler words ("show", "me",
"the", ...) and fold a plural "s", so that "air fryers" finds "Air Fryer". Ties are broken by
catalog order, so the ranking is deterministic. Evaluation uses it to score whether an ASR
hypothesis retrieves the same product as the reference transcript does.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxcart.datasets.store.schema import Product
from voxcart.datasets.text.normalize import normalize

STOPWORDS = frozenset(
    {
        "a", "an", "the", "of", "for", "to", "in", "on", "at", "by", "with", "from", "and", "or",
        "me", "my", "i", "i'm", "you", "your", "we", "it", "is", "are", "do", "does", "have",
        "has", "show", "find", "search", "looking", "look", "get", "want", "need", "please",
        "some", "any", "what", "what's", "which", "where", "can", "could", "would", "cart",
        "add", "put", "buy", "order", "under", "below", "less", "than", "over",
    }
)  # fmt: skip
"""Query words that say what to do, not what to find; ignored on both sides."""


def _fold(word: str) -> str:
    # A plural "s" must not decide a match: "fryers" / "fryer", "shoes" / "shoe".
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "'s")):
        return word[:-1]
    return word


def search_terms(text: str) -> list[str]:
    """The terms a text is indexed or queried by: normalized words, fillers dropped, folded."""
    return [_fold(w) for w in normalize(text).split() if w not in STOPWORDS]


@dataclass(frozen=True)
class ProductDoc:
    """One searchable product: its sku and the written text it is found by."""

    sku: str
    text: str


def product_doc(
    sku: str, title: str, brand: str = "", model: str = "", category: str = ""
) -> ProductDoc:
    """The document of a product: title, brand, model and category words (any order)."""
    return ProductDoc(sku, " ".join(part for part in (title, brand, model, category) if part))


class ProductSearch:
    """BM25 ranking of catalog products for a free-text query.

    Args:
        docs: the products, in the order ties are broken by.
        k1: term-frequency saturation.
        b: length normalization (0: none, 1: full).

    Raises:
        ValueError: `k1` is negative or `b` is outside [0, 1].
    """

    def __init__(self, docs: Iterable[ProductDoc], k1: float = 1.2, b: float = 0.75) -> None:
        if k1 < 0 or not 0.0 <= b <= 1.0:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1; got k1={k1}, b={b}")
        self.k1, self.b = k1, b
        self.skus: list[str] = []
        self._tf: list[Counter[str]] = []
        self._length: list[int] = []
        self._postings: dict[str, list[int]] = {}
        for doc in docs:
            terms = Counter(search_terms(doc.text))
            index = len(self.skus)
            self.skus.append(doc.sku)
            self._tf.append(terms)
            self._length.append(sum(terms.values()))
            for term in terms:
                self._postings.setdefault(term, []).append(index)
        count = len(self.skus)
        self._avg_length = (sum(self._length) / count) if count else 0.0
        self._idf = {
            term: math.log(1.0 + (count - len(ids) + 0.5) / (len(ids) + 0.5))
            for term, ids in self._postings.items()
        }

    @classmethod
    def from_session(cls, session: Session, catalog_id: int | None = None) -> ProductSearch:
        """A search over the products of one catalog, or of all catalogs (None)."""
        query = select(
            Product.sku, Product.title, Product.brand, Product.category, Product.attributes
        ).order_by(Product.id)
        if catalog_id is not None:
            query = query.where(Product.catalog_id == catalog_id)
        docs = [
            product_doc(sku, title, brand, _model_of(attributes), category)
            for sku, title, brand, category, attributes in session.execute(query)
        ]
        return cls(docs)

    def __len__(self) -> int:
        return len(self.skus)

    def scores(self, query_text: str) -> dict[int, float]:
        """BM25 score of every product sharing a term with the query, by document index."""
        totals: dict[int, float] = {}
        for term in search_terms(query_text):
            postings = self._postings.get(term)
            if not postings:
                continue
            idf = self._idf[term]
            for index in postings:
                tf = self._tf[index][term]
                norm = 1.0 - self.b + self.b * self._length[index] / (self._avg_length or 1.0)
                totals[index] = totals.get(index, 0.0) + idf * tf * (self.k1 + 1) / (
                    tf + self.k1 * norm
                )
        return totals

    def search(self, query_text: str, k: int = 5) -> list[str]:
        """The skus of the `k` best products for the query, best first (empty: nothing matched).

        Raises:
            ValueError: `k` is below 1.
        """
        if k < 1:
            raise ValueError(f"k={k} must be at least 1")
        ranked = sorted(self.scores(query_text).items(), key=lambda item: (-item[1], item[0]))
        return [self.skus[index] for index, _ in ranked[:k]]


def _model_of(attributes: object) -> str:
    if isinstance(attributes, dict):
        value = attributes.get("model")
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    return ""


def search_products(docs: Sequence[ProductDoc], query_text: str, k: int = 5) -> list[str]:
    """One-off search over `docs` (build a :class:`ProductSearch` to search many times)."""
    return ProductSearch(docs).search(query_text, k)
