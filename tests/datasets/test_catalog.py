"""Catalog import: reading CSV/JSONL, deriving the entity vocabulary, updating, bad input, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from voxcart.datasets.catalog.read import derive_sku, read_catalog
from voxcart.datasets.catalog.store import import_catalog, load_vocabulary
from voxcart.datasets.catalog.vocab import (
    EntityVocabulary,
    ProductText,
    derive_terms,
    title_terms,
)
from voxcart.datasets.errors import CatalogError
from voxcart.datasets.store.project import Project, init_project
from voxcart.datasets.store.schema import Catalog, CatalogTerm, Product
from voxcart.datasets.text.normalize import normalize
from voxcart.datasets.text.written_form import to_written
from voxcart.labeler.cli.root import build_app

CSV = """title,brand,category,price,sku,color,size
Sony WH-1000XM5 Wireless Noise Canceling Headphones,Sony,Electronics > Headphones,$349.99,S1,Black,
Apple iPhone 15 Pro Max 256GB,Apple,Phones,"1,199.00",A1,Black,
Samsung Galaxy S24 Ultra 512GB,Samsung,Phones,1299,G1,Titanium Gray,
Samsung 65 inch QLED 4K Smart TV,Samsung,TVs,899,T1,,
JBL Flip 6 Portable Bluetooth Speaker,JBL,Speakers,99.95,J1,Blue,
Levi's 501 Original Fit Jeans,Levi's,Apparel / Jeans,59.5,,Blue,32x30
"""


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def terms(project: Project, catalog_id: int) -> dict[tuple[str, str], tuple[str, int]]:
    with project.session() as s:
        rows = s.scalars(select(CatalogTerm).where(CatalogTerm.catalog_id == catalog_id)).all()
        return {(t.kind, t.normalized): (t.term, t.count) for t in rows}


def test_csv_import_derives_terms(project: Project, tmp_path: Path) -> None:
    summary = import_catalog(project, write(tmp_path / "shop.csv", CSV))
    assert summary.name == "shop"
    assert (summary.products, summary.added, summary.updated) == (6, 6, 0)
    assert summary.rejected == ()
    found = terms(project, summary.catalog_id)
    assert summary.terms == {
        kind: sum(1 for k, _ in found if k == kind)
        for kind in ("brand", "product_type", "model", "attribute")
    }
    assert found[("brand", "samsung")] == ("Samsung", 2)
    assert found[("brand", "jbl")] == ("JBL", 1)
    assert found[("product_type", "headphones")] == ("Headphones", 1)
    assert found[("product_type", "phones")] == ("Phones", 2)
    assert found[("product_type", "jeans")] == ("Jeans", 1)
    assert found[("model", "w h one thousand x m five")] == ("WH-1000XM5", 1)
    assert found[("model", "iphone fifteen pro max")] == ("iPhone 15 Pro Max", 1)
    assert found[("model", "galaxy s twenty four ultra")] == ("Galaxy S24 Ultra", 1)
    assert found[("model", "flip six")] == ("Flip 6", 1)
    assert found[("model", "five hundred one")] == ("501", 1)
    assert found[("attribute", "black")] == ("Black", 2)
    assert found[("attribute", "two hundred fifty six gigabytes")] == ("256GB", 1)
    assert found[("attribute", "sixty five inch")] == ("65 inch", 1)
    assert found[("attribute", "four k")] == ("4K", 1)
    assert ("brand", "sony") in found and ("model", "sixty five") not in found
    for (_, spoken), _ in found.items():
        assert normalize(spoken) == spoken
    with project.session() as s:
        levis = s.scalar(select(Product).where(Product.brand == "Levi's"))
        assert levis is not None
        assert levis.sku == derive_sku("Levi's 501 Original Fit Jeans", "Levi's")
        assert levis.attributes == {"color": "Blue", "size": "32x30"}
        assert levis.price == 59.5


def test_jsonl_import_with_attributes_object(project: Project, tmp_path: Path) -> None:
    rows = [
        {"title": "Bose QuietComfort 45 Headphones", "brand": "Bose", "price": 279,
         "attributes": {"color": "White Smoke", "model": "QC45"}, "rating": 4.5},
        {"title": "Anker PowerCore 10000mAh", "brand": "Anker", "product_type": "power bank"},
        {"Title": "Nike Air Max 90", "Brand": "Nike", "Category": "Shoes"},
    ]  # fmt: skip
    path = write(tmp_path / "c.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    summary = import_catalog(project, path, name="feed")
    assert (summary.name, summary.products, summary.rejected) == ("feed", 3, ())
    found = terms(project, summary.catalog_id)
    assert ("model", "q c forty five") in found
    assert ("model", "quietcomfort forty five") in found
    assert ("attribute", "white smoke") in found
    assert ("product_type", "power bank") in found
    assert ("attribute", "ten thousand milliamp hours") in found
    assert ("model", "air max ninety") in found
    with project.session() as s:
        bose = s.scalar(select(Product).where(Product.brand == "Bose"))
        assert bose is not None and bose.attributes == {
            "color": "White Smoke",
            "model": "QC45",
            "rating": 4.5,
        }


def test_reimport_same_file_is_idempotent(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path / "shop.csv", CSV)
    first = import_catalog(project, path)
    before = terms(project, first.catalog_id)
    again = import_catalog(project, path)
    assert again.unchanged and again.catalog_id == first.catalog_id
    assert (again.products, again.terms) == (first.products, first.terms)
    assert terms(project, first.catalog_id) == before
    with project.session() as s:
        assert len(s.scalars(select(Catalog)).all()) == 1


def test_changed_file_updates_products_by_sku(project: Project, tmp_path: Path) -> None:
    first = import_catalog(project, write(tmp_path / "shop.csv", CSV))
    changed = (
        "title,brand,category,price,sku\n"
        "Sony WH-1000XM6 Headphones,Sony,Headphones,399.99,S1\n"  # same sku: updated
        "Marshall Emberton II Speaker,Marshall,Speakers,169,M1\n"  # new
        "JBL Flip 6 Portable Bluetooth Speaker,JBL,Speakers,99.95,J1\n"
    )
    second = import_catalog(project, write(tmp_path / "shop.csv", changed))
    assert second.catalog_id == first.catalog_id and not second.unchanged
    assert (second.added, second.products) == (1, 7)
    assert second.updated == 2  # S1 changed; J1 lost its color attribute
    found = terms(project, first.catalog_id)
    assert ("model", "w h one thousand x m six") in found
    assert ("model", "w h one thousand x m five") not in found
    assert ("brand", "marshall") in found
    with project.session() as s:
        sony = s.scalar(select(Product).where(Product.sku == "S1"))
        assert sony is not None and sony.price == 399.99


def test_bad_rows_are_reported_and_skipped(project: Project, tmp_path: Path) -> None:
    text = (
        "title,brand,price,sku\n"
        "Good One,Acme,10,A\n"
        ",Acme,5,B\n"  # no title
        "Bad Price,Acme,ten bucks,C\n"
        "Negative,Acme,-3,D\n"
        "Duplicate,Acme,1,A\n"
        "Too,Many,1,E,extra\n"
        f"Long sku,Acme,1,{'x' * 200}\n"
        "Good Two,Acme,,F\n"
    )
    summary = import_catalog(project, write(tmp_path / "bad.csv", text))
    assert summary.products == 2
    reasons = {r.line: r.reason for r in summary.rejected}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "no title" in reasons[3]
    assert "'ten bucks'" in reasons[4]
    assert ">= 0" in reasons[5]
    assert "duplicate sku 'A'" in reasons[6] and "line 2" in reasons[6]
    assert "5 fields" in reasons[7]
    assert "sku is 200 characters" in reasons[8]


def test_bad_jsonl_lines_are_reported(project: Project, tmp_path: Path) -> None:
    text = (
        '{"title": "Fine"}\nnot json\n[1, 2]\n{"title": {"x": 1}}\n{"title": "OK", "price": true}\n'
    )
    summary = import_catalog(project, write(tmp_path / "c.jsonl", text))
    assert summary.products == 1
    assert [r.line for r in summary.rejected] == [2, 3, 4, 5]
    assert "not valid JSON" in summary.rejected[0].reason


def test_cp1252_file_is_read_with_a_warning(project: Project, tmp_path: Path) -> None:
    path = write(
        tmp_path / "win.csv", "title,brand\nCafé Crème Espresso Pods,Nespresso\n", "cp1252"
    )
    summary = import_catalog(project, path)
    assert summary.products == 1
    assert len(summary.warnings) == 1 and "cp1252" in summary.warnings[0]
    with project.session() as s:
        assert s.scalar(select(Product.title)) == "Café Crème Espresso Pods"


def test_undecodable_file_names_the_encoding(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"title\n\xff\xfe\x81\x8d\n")
    with pytest.raises(CatalogError, match=r"neither UTF-8 .* nor cp1252.*UTF-8"):
        import_catalog(project, path)
    with project.session() as s:
        assert s.scalars(select(Catalog)).all() == []


def test_file_without_title_column_is_refused(project: Project, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no `title` column"):
        import_catalog(project, write(tmp_path / "x.csv", "name,brand\nThing,Acme\n"))
    with pytest.raises(CatalogError, match="cannot read catalog"):
        import_catalog(project, tmp_path / "missing.csv")


def test_hostile_text_is_stored_verbatim(project: Project, tmp_path: Path) -> None:
    title = '<script>alert("x")</script> =HYPERLINK("http://evil","win") Speaker'
    text = (
        "title,brand,category,notes\n"
        f'"{title.replace(chr(34), chr(34) * 2)}",<b>Evil</b>,=1+1,"@SUM(A1)"\n'
    )
    summary = import_catalog(project, write(tmp_path / "evil.csv", text))
    assert summary.products == 1
    with project.session() as s:
        product = s.scalar(select(Product))
        assert product is not None
        assert product.title == title
        assert product.brand == "<b>Evil</b>"
        assert product.category == "=1+1"
        assert product.attributes == {"notes": "@SUM(A1)"}
    found = terms(project, summary.catalog_id)
    assert ("brand", "evil") in found
    # The category "=1+1" is no word of the title, so the product type comes from the title.
    assert ("product_type", "one plus one") not in found
    assert summary.product_types.startswith("product types derived from titles")


def test_vocabulary_matches_longest_entity_first(project: Project, tmp_path: Path) -> None:
    summary = import_catalog(project, write(tmp_path / "shop.csv", CSV))
    with project.session() as s:
        vocab = load_vocabulary(s, summary.catalog_id)
        assert load_vocabulary(s) == vocab
        with pytest.raises(CatalogError, match="catalog_id=999"):
            load_vocabulary(s, 999)
    assert "JBL" in vocab.brands_written and "iPhone 15 Pro Max" in vocab.models_written
    assert "samsung" in vocab.brands and "phones" in vocab.product_types
    spans = vocab.match(normalize("samsung galaxy s twenty four ultra in titanium gray").split())
    assert [(s.kind, s.text) for s in spans] == [
        ("brand", "samsung"),
        ("model", "galaxy s twenty four ultra"),
        ("attribute", "titanium gray"),
    ]
    assert [(s.start, s.end) for s in spans] == [(0, 1), (1, 6), (7, 9)]
    assert [s.kind for s in vocab.match("under $1,000 for samsung")] == ["brand"]
    assert vocab.match("Sony WH-1000XM5!")[1].kind == "model"
    assert vocab.match([]) == []
    written = to_written(
        "jbl flip six and iphone fifteen pro max", vocab.brands_written + vocab.models_written
    )
    assert written == "JBL Flip 6 and iPhone 15 Pro Max"


def test_vocabulary_prefers_the_more_specific_kind() -> None:
    vocab = EntityVocabulary(brands=frozenset({"galaxy"}), models=frozenset({"galaxy"}))
    assert [s.kind for s in vocab.match(["galaxy"])] == ["model"]
    with pytest.raises(ValueError, match="kind='colour'"):
        vocab.terms("colour")


@pytest.mark.parametrize(
    ("title", "brand", "model", "values"),
    [
        ("Sony WH-1000XM5 Headphones", "Sony", "WH-1000XM5", []),
        ("Apple iPhone 15 Pro 128GB", "Apple", "iPhone 15 Pro", ["128GB"]),
        ("HP 2 in 1 Laptop", "HP", None, []),
        ("Samsung 65 inch QLED 4K TV", "Samsung", None, ["65 inch", "4K"]),
        ("Nintendo Switch OLED (PS5 not included)", "Nintendo", "PS5", []),
        ("Plain Cotton T-Shirt", "", None, []),
        ("Apple AirPods Pro 2nd Generation, White", "Apple", "AirPods Pro 2nd Generation", []),
        ("Canon EOS R6 Mark II Camera", "Canon", "EOS R6 Mark II", []),
        ("Sonos Beam Gen 2 Soundbar", "Sonos", "Beam Gen 2", []),
        ("Winner of the 2nd prize", "", None, []),
    ],
)
def test_title_terms(title: str, brand: str, model: str | None, values: list[str]) -> None:
    assert title_terms(title, brand) == (model, values)


def test_derive_terms_counts_products_not_mentions() -> None:
    products = [
        ProductText("Sony Sony Speaker", "Sony", "Speakers", {"color": "Black"}),
        ProductText("SONY Radio", "SONY", "Radios", {"color": "black"}),
        ProductText("Sony Headphones", "Sony", "", {}),
    ]
    by_key = {(t.kind, t.normalized): t for t in derive_terms(products)}
    assert by_key[("brand", "sony")].count == 3
    assert by_key[("brand", "sony")].term == "Sony"  # most common spelling
    assert by_key[("attribute", "black")].count == 2


def test_read_catalog_hash_is_of_the_bytes(tmp_path: Path) -> None:
    a = read_catalog(write(tmp_path / "a.csv", CSV))
    b = read_catalog(write(tmp_path / "b.csv", CSV + "\n"))
    assert a.content_hash != b.content_hash and a.records == b.records
    assert a.encoding == "utf-8"


def test_cli_catalog_import(tmp_path: Path) -> None:
    project_dir = tmp_path / "proj"
    init_project(project_dir).close()
    path = write(tmp_path / "shop.csv", CSV + ",NoTitle,,1,Z,,\n")
    runner = CliRunner()
    app = build_app()
    result = runner.invoke(app, ["catalog", "import", str(path), "-p", str(project_dir)])
    assert result.exit_code == 0, result.output
    assert "catalog 'shop'" in result.output and "6 products" in result.output
    assert "brand 5" in result.output
    assert "rejected rows: 1" in result.output and "line 8: no title" in result.output
    again = runner.invoke(
        app, ["catalog", "import", str(path), "--project", str(project_dir), "--name", "shop"]
    )
    assert again.exit_code == 0 and "unchanged" in again.output
    missing = runner.invoke(
        app, ["catalog", "import", str(tmp_path / "nope.csv"), "-p", str(project_dir)]
    )
    assert missing.exit_code != 0
    assert isinstance(missing.exception, CatalogError)
    help_text = runner.invoke(app, ["catalog", "import", "--help"])
    assert help_text.exit_code == 0 and "--name" in help_text.output
