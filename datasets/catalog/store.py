"""Product catalogs in the project store: importing a catalog file and loading its vocabulary.

A catalog is reference data: importing a changed file under the same name adds and updates
products by sku (products missing from the new file are kept) and recomputes the catalog's
entity terms. Importing the same content again changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from voxcart.datasets.catalog.read import (
    ParsedCatalog,
    ProductRecord,
    RejectedRow,
    read_catalog,
)
from voxcart.datasets.catalog.types import TypeSource, type_source
from voxcart.datasets.catalog.vocab import (
    KINDS,
    EntitySpan,
    EntityVocabulary,
    ProductText,
    derive_terms,
)
from voxcart.datasets.errors import CatalogError
from voxcart.datasets.store.project import Project
from voxcart.datasets.store.schema import Catalog, CatalogTerm, Product

__all__ = [
    "CatalogSummary",
    "EntitySpan",
    "EntityVocabulary",
    "RejectedRow",
    "import_catalog",
    "load_vocabulary",
]

MAX_NAME = 128


@dataclass(frozen=True)
class CatalogSummary:
    """What an import did.

    Attributes:
        catalog_id: the catalog's id in the store.
        name: the catalog's name.
        products: products the catalog holds after the import.
        added: products new in this import.
        updated: existing products (same sku) whose fields changed.
        terms: entity terms by kind, after the import.
        rejected: rows skipped, with line numbers and reasons.
        warnings: notes on how the file was read (e.g. decoded as cp1252).
        unchanged: the file's content was already imported under this name; nothing was written.
        product_types: where the product types came from (a column, or derived from titles).
    """

    catalog_id: int
    name: str
    products: int
    added: int = 0
    updated: int = 0
    terms: dict[str, int] = field(default_factory=dict)
    rejected: tuple[RejectedRow, ...] = ()
    warnings: tuple[str, ...] = ()
    unchanged: bool = False
    product_types: str = ""

    def summary(self, top: int = 10) -> str:
        """A few human-readable lines for the CLI."""
        state = (
            "unchanged (same content already imported)"
            if self.unchanged
            else (f"{self.added} added, {self.updated} updated")
        )
        terms = ", ".join(f"{kind} {self.terms.get(kind, 0)}" for kind in KINDS)
        lines = [
            f"catalog {self.name!r} (id {self.catalog_id}): {self.products} products; {state}",
            f"terms: {terms}",
            f"rejected rows: {len(self.rejected)}",
        ]
        lines += [f"  line {r.line}: {r.reason}" for r in self.rejected[:top]]
        if len(self.rejected) > top:
            lines.append(f"  ... and {len(self.rejected) - top} more")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _catalog_name(path: Path, name: str | None) -> str:
    chosen = (name if name is not None else path.stem).strip()
    if not chosen or len(chosen) > MAX_NAME:
        raise CatalogError(
            f"catalog name {chosen[:40]!r} must be 1 to {MAX_NAME} characters; pass --name NAME"
        )
    return chosen


def _apply(record: ProductRecord, product: Product) -> bool:
    """Copy a record onto a stored product; True when something changed."""
    values = {
        "title": record.title,
        "brand": record.brand,
        "category": record.category,
        "price": record.price,
        "attributes": dict(record.attributes),
    }
    changed = False
    for key, value in values.items():
        if getattr(product, key) != value:
            setattr(product, key, value)
            changed = True
    return changed


def _term_counts(session: Session, catalog_id: int) -> dict[str, int]:
    kinds = session.scalars(select(CatalogTerm.kind).where(CatalogTerm.catalog_id == catalog_id))
    counts = Counter(kinds)
    return {kind: counts.get(kind, 0) for kind in KINDS}


def _product_count(session: Session, catalog_id: int) -> int:
    return len(session.scalars(select(Product.id).where(Product.catalog_id == catalog_id)).all())


def _store(
    session: Session, catalog: Catalog, parsed: ParsedCatalog
) -> tuple[int, int, TypeSource]:
    existing = {
        p.sku: p for p in session.scalars(select(Product).where(Product.catalog_id == catalog.id))
    }
    added = updated = 0
    for record in parsed.records:
        product = existing.get(record.sku)
        if product is None:
            product = Product(catalog_id=catalog.id, sku=record.sku)
            _apply(record, product)
            session.add(product)
            existing[record.sku] = product
            added += 1
        elif _apply(record, product):
            updated += 1
    session.flush()
    session.execute(delete(CatalogTerm).where(CatalogTerm.catalog_id == catalog.id))
    texts = [
        ProductText(p.title, p.brand, p.category, p.attributes or {}) for p in existing.values()
    ]
    session.add_all(
        CatalogTerm(
            catalog_id=catalog.id,
            kind=t.kind,
            term=t.term,
            normalized=t.normalized,
            count=t.count,
        )
        for t in derive_terms(texts)
    )
    session.flush()
    return added, updated, type_source(texts)


def import_catalog(project: Project, path: Path, name: str | None = None) -> CatalogSummary:
    """Import a product catalog (CSV, TSV or JSONL) and derive its entity vocabulary.

    Columns/keys: `title` (required), `brand`, `category`, `price`, `sku` (derived from title and
    brand when missing); any other column, and the members of an `attributes` JSON object, are
    kept as attributes. Bad rows are reported in the summary and skipped.

    Args:
        project: the open project.
        path: the catalog file.
        name: the catalog's name (default: the file name without its suffix). Importing under
            an existing name updates that catalog.

    Raises:
        CatalogError: the file cannot be read at all (missing, unknown encoding, no `title`
            column) or the name is invalid.
    """
    path = Path(path)
    catalog_name = _catalog_name(path, name)
    parsed = read_catalog(path)
    with project.session() as session:
        catalog = session.scalar(select(Catalog).where(Catalog.name == catalog_name))
        if catalog is not None and catalog.content_hash == parsed.content_hash:
            return CatalogSummary(
                catalog_id=catalog.id,
                name=catalog.name,
                products=_product_count(session, catalog.id),
                terms=_term_counts(session, catalog.id),
                rejected=parsed.rejected,
                warnings=parsed.warnings,
                unchanged=True,
            )
        if catalog is None:
            catalog = Catalog(name=catalog_name)
            session.add(catalog)
        catalog.source_path = str(path.resolve())
        catalog.content_hash = parsed.content_hash
        session.flush()
        added, updated, types = _store(session, catalog, parsed)
        return CatalogSummary(
            catalog_id=catalog.id,
            name=catalog.name,
            products=_product_count(session, catalog.id),
            added=added,
            updated=updated,
            terms=_term_counts(session, catalog.id),
            rejected=parsed.rejected,
            warnings=parsed.warnings,
            product_types=types.describe(),
        )


def load_vocabulary(session: Session, catalog_id: int | None = None) -> EntityVocabulary:
    """The entity vocabulary of one catalog, or of every catalog when `catalog_id` is None.

    Raises:
        CatalogError: `catalog_id` names no catalog.
    """
    query = select(CatalogTerm.kind, CatalogTerm.term, CatalogTerm.normalized)
    if catalog_id is not None:
        if session.get(Catalog, catalog_id) is None:
            raise CatalogError(
                f"catalog_id={catalog_id} names no catalog; "
                "import one with `voxcart catalog import`"
            )
        query = query.where(CatalogTerm.catalog_id == catalog_id)
    by_kind: dict[str, set[str]] = {kind: set() for kind in KINDS}
    written: dict[str, dict[str, str]] = {"brand": {}, "model": {}}
    for kind, term, normalized in session.execute(query.order_by(CatalogTerm.id)):
        if kind in by_kind:
            by_kind[kind].add(normalized)
        if kind in written:
            written[kind].setdefault(normalized, term)
    return EntityVocabulary(
        brands=frozenset(by_kind["brand"]),
        product_types=frozenset(by_kind["product_type"]),
        models=frozenset(by_kind["model"]),
        attributes=frozenset(by_kind["attribute"]),
        brands_written=tuple(sorted(written["brand"].values(), key=str.lower)),
        models_written=tuple(sorted(written["model"].values(), key=str.lower)),
    )
