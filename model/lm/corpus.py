"""The text a catalog language model is trained on: titles, filled query templates, labels.

Four sources, all in spoken form (the project normalizer): product titles and catalog terms,
query templates filled from sampled products, sampled number/price/size/quantity phrases
(:mod:`voxcart.model.lm.spoken`), and the current human transcripts that were accepted or
corrected (train split or unsplit clips only, so that dev/test text never leaks into the
model). The dev split's transcripts are read separately (:func:`dev_transcripts`), only to
tune mixture weights and to report perplexity and coverage. Hidden demo references
(``clip_references``) are never read. Two optional extras: labels of named non-human sources
(the ``oracle`` annotator of an active-learning simulation) and pseudo-labels (confident
suggestions), each counted apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxcart.datasets.catalog.store import load_vocabulary
from voxcart.datasets.store.revisions import latest_revision_ids, split_labels, training_labels
from voxcart.datasets.store.schema import (
    Clip,
    Product,
    Revision,
    Split,
)
from voxcart.datasets.text.normalize import normalize
from voxcart.model.lm.spoken import number_sentences, spoken_price, spoken_quantity, spoken_size
from voxcart.model.lm.templates import (
    FIXED_QUERIES,
    PRICE_LIMITS,
    Template,
    fill,
    parse_templates,
)

MAX_SENTENCE_WORDS = 40


@dataclass(frozen=True)
class CorpusConfig:
    """How the corpus is drawn.

    Attributes:
        catalog_id: only this catalog's products and terms; None for every catalog.
        queries_per_product: filled templates drawn per product.
        max_template_queries: cap on filled templates in total.
        transcript_weight: how many times each accepted human transcript is repeated (real
            queries count more than templated ones).
        seed: drives template and product sampling.
        number_sentences: sampled sentences of spoken amounts, prices, sizes and quantities.
        label_sources: revision sources besides people whose accepted or corrected
            transcripts count as labels (``("oracle",)`` in a simulation); empty: people only.
        pseudo_weight: how many times each pseudo-label is repeated.
    """

    catalog_id: int | None = None
    queries_per_product: int = 12
    max_template_queries: int = 40_000
    transcript_weight: int = 3
    seed: int = 0
    label_sources: tuple[str, ...] = ()
    pseudo_weight: int = 1
    number_sentences: int = 4000

    def __post_init__(self) -> None:
        for name in (
            "queries_per_product",
            "max_template_queries",
            "transcript_weight",
            "pseudo_weight",
            "number_sentences",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"CorpusConfig.{name}={getattr(self, name)} must be >= 0")
        if isinstance(self.label_sources, str):
            raise ValueError(
                f"CorpusConfig.label_sources={self.label_sources!r} must be a tuple of "
                "source names, not one string"
            )

    def to_dict(self) -> dict[str, Any]:
        """The options as JSON-compatible values (stored with the model version)."""
        return {
            "catalog_id": self.catalog_id,
            "queries_per_product": self.queries_per_product,
            "max_template_queries": self.max_template_queries,
            "transcript_weight": self.transcript_weight,
            "seed": self.seed,
            "label_sources": list(self.label_sources),
            "pseudo_weight": self.pseudo_weight,
            "number_sentences": self.number_sentences,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CorpusConfig:
        """Options stored by :meth:`to_dict` (unknown keys are ignored, missing ones default)."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "label_sources" in values:
            values["label_sources"] = tuple(str(s) for s in values["label_sources"] or ())
        return cls(**values)


@dataclass(frozen=True)
class ProductFacts:
    """What templates need to know about one product (written forms)."""

    brand: str
    types: tuple[str, ...]
    model: str
    color: str
    size: str
    price: float | None


@dataclass(frozen=True)
class Corpus:
    """Spoken-form sentences and where they came from.

    Attributes:
        sentences: every sentence: catalog lines and templates, then numbers, then the label
            sentences (transcripts, pseudo-labels).
        counts: sentences per source.
        numbers: the sampled number, price, size and quantity phrases, also in `sentences`.
        labels: the label sentences (repeated by their weights), also in `sentences`.
    """

    sentences: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    numbers: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    @property
    def domain(self) -> tuple[str, ...]:
        """The catalog lines and filled templates (neither numbers nor labels)."""
        return self.sentences[: len(self.sentences) - len(self.labels) - len(self.numbers)]

    @property
    def vocabulary(self) -> set[str]:
        """Every word of every sentence."""
        return {word for sentence in self.sentences for word in sentence.split()}


def pluralize(noun: str) -> str:
    """A naive English plural of the last word ("tv" -> "tvs", "watch" -> "watches")."""
    if not noun or noun.endswith("s"):
        return noun
    if noun.endswith(("ch", "sh", "x", "z")):
        return noun + "es"
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _singular(noun: str) -> str:
    if noun.endswith("ies"):
        return noun[:-3] + "y"
    if noun.endswith(("ches", "shes", "xes")):
        return noun[:-2]
    if noun.endswith("s") and not noun.endswith(("ss", "phones", "buds", "shoes", "pods")):
        return noun[:-1]
    return noun


def _product_types(product: Product, type_terms: Sequence[str]) -> tuple[str, ...]:
    """What a shopper may call the product: a catalog type term found in its title, else the
    title head's last word and last two words ("fryer", "air fryer")."""
    title = normalize(product.title.split(",")[0])
    padded = f" {title} "
    for term in type_terms:  # longest first
        if f" {term} " in padded:
            return (term,)
    category = _singular(normalize(product.category))
    if category and f" {category} " in padded:
        return (category,)
    words = title.split()
    if not words:
        return (category,) if category else ()
    return (words[-1], " ".join(words[-2:])) if len(words) > 1 else (words[-1],)


def _attribute(attributes: Any, key: str) -> str:
    if not isinstance(attributes, dict):
        return ""
    value = attributes.get(key)
    return str(value).strip() if isinstance(value, str | int | float) else ""


def load_products(session: Session, catalog_id: int | None = None) -> list[ProductFacts]:
    """Every product of the catalog(s) as template facts.

    Raises:
        CatalogError: `catalog_id` names no catalog.
    """
    vocabulary = load_vocabulary(session, catalog_id)
    type_terms = sorted((t for t in vocabulary.product_types if t), key=len, reverse=True)
    query = select(Product).order_by(Product.id)
    if catalog_id is not None:
        query = query.where(Product.catalog_id == catalog_id)
    facts: list[ProductFacts] = []
    for product in session.scalars(query):
        facts.append(
            ProductFacts(
                brand=product.brand.strip(),
                types=_product_types(product, type_terms),
                model=_attribute(product.attributes, "model"),
                color=_attribute(product.attributes, "color").lower(),
                size=_attribute(product.attributes, "size"),
                price=product.price,
            )
        )
    return facts


def catalog_text(session: Session, catalog_id: int | None = None) -> list[str]:
    """Product titles (the part before each comma too) and catalog entity terms (brands,
    product types, models, attributes), in spoken form."""
    query = select(Product.title).order_by(Product.id)
    if catalog_id is not None:
        query = query.where(Product.catalog_id == catalog_id)
    lines: list[str] = []
    for title in session.scalars(query):
        lines.append(normalize(title))
        head = title.split(",")[0]
        if head != title:
            lines.append(normalize(head))
    lines.extend(sorted(load_vocabulary(session, catalog_id).all_terms))
    return [line for line in lines if line]


def accepted_transcripts(
    session: Session, label_sources: Sequence[str] = (), split: Split | None = None
) -> list[str]:
    """Normalized current transcripts that a person accepted or corrected.

    By default only clips in the train split or not yet split are used; dev and test
    transcripts are left out so that evaluation stays honest.

    Args:
        session: an open session.
        label_sources: non-human revision sources that count as labels too (e.g. ``oracle``).
        split: read this split's transcripts instead (dev for tuning).
    """
    conditions = (
        training_labels(label_sources)
        if split is None
        else split_labels(Clip.split == split, label_sources)
    )
    latest = latest_revision_ids()
    query = (
        select(Revision.normalized)
        .join(latest, Revision.id == latest.c.revision_id)
        .join(Clip, Clip.id == Revision.clip_id)
        .where(*conditions)
    )
    return [text for text in session.scalars(query) if text]


def dev_transcripts(session: Session, label_sources: Sequence[str] = ()) -> list[str]:
    """The dev split's accepted or corrected transcripts (for tuning and reporting only)."""
    return accepted_transcripts(session, label_sources, Split.DEV)


def _price_text(value: float) -> str:
    return f"${value:,.0f}" if float(value).is_integer() else f"${value:,.2f}"


def _slot_values(
    product: ProductFacts, rng: np.random.Generator, kinds: Sequence[str] = ()
) -> dict[str, str]:
    price = product.price
    limits = [p for p in PRICE_LIMITS if price is None or p >= price * 1.05] or [PRICE_LIMITS[-1]]
    kind = product.types[int(rng.integers(0, len(product.types)))] if product.types else ""
    return {
        "brand": product.brand,
        "type": kind,
        "types": pluralize(kind),
        "model": product.model,
        "color": product.color,
        "size": product.size,
        "price": _price_text(price) if price else "",
        "limit": f"${int(limits[int(rng.integers(0, min(3, len(limits))))])}",
        "count": str(int(rng.integers(2, 5))),
        "amount": spoken_price(rng),
        "measure": product.size if product.size and rng.random() < 0.5 else spoken_size(rng),
        "qty": spoken_quantity(rng),
        "other": pluralize(kinds[int(rng.integers(0, len(kinds)))]) if kinds else "",
    }


def template_queries(
    products: Sequence[ProductFacts],
    config: CorpusConfig,
    templates: Sequence[Template] | None = None,
) -> list[str]:
    """Filled templates over the products, in spoken form; the same seed gives the same list."""
    parsed = tuple(templates) if templates is not None else parse_templates()
    rng = np.random.default_rng(config.seed)
    out = [normalize(q) for q in FIXED_QUERIES]
    budget = min(config.max_template_queries, config.queries_per_product * len(products))
    if not products or not parsed or budget <= 0:
        return out
    order = rng.permutation(len(products))
    kinds = sorted({t for p in products for t in p.types})
    attempts = 0
    while len(out) - len(FIXED_QUERIES) < budget and attempts < budget * 4:
        product = products[int(order[attempts % len(order)])]
        attempts += 1
        template = parsed[int(rng.integers(0, len(parsed)))]
        written = fill(template, _slot_values(product, rng, kinds))
        if written is not None:
            spoken = normalize(written)
            if spoken:
                out.append(spoken)
    return out


def build_corpus(
    session: Session, config: CorpusConfig | None = None, pseudo_labels: Sequence[str] = ()
) -> Corpus:
    """Draw the whole corpus from the project database.

    Sentences longer than :data:`MAX_SENTENCE_WORDS` words are cut to that length.

    Args:
        session: an open session.
        config: what the corpus is drawn from.
        pseudo_labels: confident suggestions used as labels (normalized here), repeated
            ``config.pseudo_weight`` times and counted as ``pseudo_labels``.
    """
    config = config or CorpusConfig()
    catalog = catalog_text(session, config.catalog_id)
    queries = template_queries(load_products(session, config.catalog_id), config)
    transcripts = accepted_transcripts(session, config.label_sources)
    pseudo = [t for t in (normalize(p) for p in pseudo_labels) if t]
    numbers = number_sentences(config.number_sentences, config.seed)
    labels = [
        *(t for t in transcripts for _ in range(config.transcript_weight)),
        *(t for t in pseudo for _ in range(config.pseudo_weight)),
    ]

    def clip(lines: Sequence[str]) -> tuple[str, ...]:
        return tuple(" ".join(s.split()[:MAX_SENTENCE_WORDS]) for s in lines if s.strip())

    domain, number_lines, label_lines = clip([*catalog, *queries]), clip(numbers), clip(labels)
    counts = Counter(
        {
            "catalog_lines": len(catalog),
            "template_queries": len(queries),
            "accepted_transcripts": len(transcripts),
            "pseudo_labels": len(pseudo),
            "number_sentences": len(numbers),
        }
    )
    return Corpus(
        sentences=domain + number_lines + label_lines,
        counts=dict(counts),
        numbers=number_lines,
        labels=label_lines,
    )
