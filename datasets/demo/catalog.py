"""The built-in demo product catalog: a few hundred realistic e-commerce products, no download.

Products are generated deterministically from embedded product families (brand, model line,
sizes, colors, price) and written as a CSV that :func:`voxcart.datasets.catalog.store.import_catalog`
reads like any user catalog.
"""

# ruff: noqa: E501  (the product table below reads best as one family a line)
from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxcart.datasets.atomic import atomic_open, csv_safe_cell

CSV_COLUMNS: tuple[str, ...] = (
    "title",
    "brand",
    "category",
    "price",
    "sku",
    "color",
    "size",
    "model",
)
MAX_VARIANTS_PER_FAMILY = 3


@dataclass(frozen=True)
class DemoProduct:
    """One demo catalog row.

    Attributes:
        title: full listing title, as a shop shows it.
        brand: manufacturer (``"Sony"``).
        category: catalog category (``"Headphones"``).
        price: price in US dollars.
        sku: stable stock-keeping unit id.
        color: color name, or "" where the product has none.
        size: size or capacity (``"65 inch"``, ``"256GB"``, ``"size 10"``), or "".
        model: model name or number (``"WH-1000XM5"``).
        kind: what a shopper calls it (``"headphones"``, ``"tv"``); not written to the CSV.
    """

    title: str
    brand: str
    category: str
    price: float
    sku: str
    color: str
    size: str
    model: str
    kind: str


@dataclass(frozen=True)
class _Family:
    category: str
    kind: str
    brand: str
    model: str
    description: str
    sizes: tuple[str, ...]
    colors: tuple[str, ...]
    price: float
    step: float = 0.0


def _f(
    category: str,
    kind: str,
    brand: str,
    model: str,
    description: str,
    sizes: str,
    colors: str,
    price: float,
    step: float = 0.0,
) -> _Family:
    split = lambda text: tuple(p.strip() for p in text.split("|") if p.strip())  # noqa: E731
    return _Family(
        category, kind, brand, model, description, split(sizes), split(colors), price, step
    )


_TV = "43 inch|50 inch|55 inch|65 inch|75 inch|85 inch"
_SHOE = "size 7|size 8|size 9|size 10|size 11|size 12"
_TEE = "S|M|L|XL"
_PHONE = "128GB|256GB|512GB|1TB"

# (category, kind, brand, model, description, sizes, colors, base price, price step per size)
FAMILIES: tuple[_Family, ...] = (
    _f("Headphones", "headphones", "Sony", "WH-1000XM5", "Wireless Noise Canceling Headphones", "", "Black|Silver|Midnight Blue", 399.99),
    _f("Headphones", "headphones", "Sony", "WH-CH720N", "Wireless Noise Canceling Headphones", "", "Black|White|Blue", 149.99),
    _f("Headphones", "headphones", "Bose", "QuietComfort Ultra", "Wireless Noise Cancelling Headphones", "", "Black|White Smoke|Sandstone", 429.00),
    _f("Headphones", "headphones", "Bose", "QuietComfort 45", "Bluetooth Headphones", "", "Triple Black|White Smoke", 279.00),
    _f("Headphones", "headphones", "Apple", "AirPods Max", "Over-Ear Headphones", "", "Space Gray|Silver|Sky Blue|Pink|Green", 549.00),
    _f("Headphones", "headphones", "JBL", "Tune 760NC", "Wireless Over-Ear Headphones", "", "Black|Blue|White", 99.95),
    _f("Headphones", "headphones", "Beats", "Studio Pro", "Wireless Headphones", "", "Black|Navy|Sandstone|Deep Brown", 349.99),
    _f("Headphones", "headphones", "Sennheiser", "Momentum 4", "Wireless Headphones", "", "Black|White", 379.95),
    _f("Earbuds", "earbuds", "Apple", "AirPods Pro", "2nd Generation with MagSafe Case (USB-C)", "", "White", 249.00),
    _f("Earbuds", "earbuds", "Apple", "AirPods", "3rd Generation", "", "White", 169.00),
    _f("Earbuds", "earbuds", "Samsung", "Galaxy Buds2 Pro", "True Wireless Earbuds", "", "Graphite|White|Bora Purple", 229.99),
    _f("Earbuds", "earbuds", "Sony", "WF-1000XM5", "Truly Wireless Noise Canceling Earbuds", "", "Black|Silver", 299.99),
    _f("Earbuds", "earbuds", "Bose", "QuietComfort Earbuds II", "Wireless Earbuds", "", "Triple Black|Soapstone", 279.00),
    _f("Earbuds", "earbuds", "JBL", "Tune Buds", "True Wireless Earbuds", "", "Black|White|Blue", 99.95),
    _f("Earbuds", "earbuds", "Beats", "Fit Pro", "True Wireless Earbuds", "", "Black|White|Sage Gray|Stone Purple", 199.99),
    _f("Earbuds", "earbuds", "Jabra", "Elite 10", "True Wireless Earbuds", "", "Titanium Black|Cream", 249.99),
    _f("TVs", "tv", "Samsung", "QN90C", "Neo QLED 4K Smart TV", _TV, "", 1099.99, 400),
    _f("TVs", "tv", "Samsung", "CU7000", "Crystal UHD 4K Smart TV", _TV, "", 279.99, 120),
    _f("TVs", "tv", "Samsung", "T4300", "HD Smart TV", "32 inch", "", 179.99),
    _f("TVs", "tv", "LG", "C3", "OLED evo 4K Smart TV", "42 inch|48 inch|55 inch|65 inch|77 inch|83 inch", "", 1299.99, 500),
    _f("TVs", "tv", "Sony", "Bravia XR A80L", "OLED 4K Google TV", "55 inch|65 inch|77 inch|83 inch", "", 1599.99, 600),
    _f("TVs", "tv", "TCL", "Q6", "QLED 4K Google TV", _TV, "", 299.99, 100),
    _f("TVs", "tv", "Hisense", "U8", "Mini-LED 4K Google TV", "55 inch|65 inch|75 inch|85 inch", "", 799.99, 300),
    _f("TVs", "tv", "Vizio", "V-Series", "4K HDR Smart TV", _TV, "", 249.99, 90),
    _f("Phones", "phone", "Apple", "iPhone 15 Pro", "Unlocked Smartphone", _PHONE, "Natural Titanium|Blue Titanium|White Titanium|Black Titanium", 999.00, 100),
    _f("Phones", "phone", "Apple", "iPhone 15", "Unlocked Smartphone", "128GB|256GB|512GB", "Black|Blue|Green|Yellow|Pink", 799.00, 100),
    _f("Phones", "phone", "Samsung", "Galaxy S24 Ultra", "Unlocked Android Smartphone", "256GB|512GB|1TB", "Titanium Black|Titanium Gray|Titanium Violet", 1299.99, 120),
    _f("Phones", "phone", "Samsung", "Galaxy S24", "Unlocked Android Smartphone", "128GB|256GB", "Onyx Black|Marble Gray|Cobalt Violet", 799.99, 60),
    _f("Phones", "phone", "Samsung", "Galaxy Z Flip5", "Foldable Smartphone", "256GB|512GB", "Mint|Graphite|Lavender", 999.99, 120),
    _f("Phones", "phone", "Google", "Pixel 8 Pro", "Unlocked Android Phone", "128GB|256GB|512GB", "Obsidian|Porcelain|Bay", 999.00, 60),
    _f("Phones", "phone", "Google", "Pixel 8a", "Unlocked Android Phone", "128GB|256GB", "Obsidian|Porcelain|Aloe", 499.00, 60),
    _f("Phones", "phone", "Motorola", "Moto G Power", "Unlocked Smartphone", "128GB", "Midnight Blue", 199.99),
    _f("Laptops", "laptop", "Apple", "MacBook Air M3", "13 inch Laptop, 8GB RAM", "256GB|512GB|1TB", "Midnight|Starlight|Space Gray|Silver", 1099.00, 200),
    _f("Laptops", "laptop", "Apple", "MacBook Pro M3 Pro", "14 inch Laptop, 18GB RAM", "512GB|1TB", "Space Black|Silver", 1999.00, 200),
    _f("Laptops", "laptop", "Dell", "XPS 13 9340", "13.4 inch Laptop, 16GB RAM", "512GB|1TB", "Platinum|Graphite", 1299.99, 200),
    _f("Laptops", "laptop", "HP", "Spectre x360 14", "2-in-1 Laptop, 16GB RAM", "512GB|1TB", "Nightfall Black|Slate Blue", 1449.99, 150),
    _f("Laptops", "laptop", "Lenovo", "ThinkPad X1 Carbon Gen 11", "14 inch Business Laptop", "512GB|1TB", "Deep Black", 1649.00, 180),
    _f("Laptops", "laptop", "ASUS", "ROG Zephyrus G14", "Gaming Laptop, RTX 4060", "512GB|1TB", "Eclipse Gray|Moonlight White", 1599.99, 150),
    _f("Laptops", "laptop", "Acer", "Aspire 5", "15.6 inch Laptop, 8GB RAM", "512GB", "Steel Gray", 549.99),
    _f("Tablets", "tablet", "Apple", "iPad Air M2", "11 inch Wi-Fi Tablet", "128GB|256GB|512GB", "Space Gray|Blue|Purple|Starlight", 599.00, 100),
    _f("Tablets", "tablet", "Apple", "iPad", "10th Generation 10.9 inch Wi-Fi Tablet", "64GB|256GB", "Blue|Pink|Yellow|Silver", 349.00, 150),
    _f("Tablets", "tablet", "Samsung", "Galaxy Tab S9", "11 inch Android Tablet", "128GB|256GB", "Graphite|Beige", 799.99, 120),
    _f("Tablets", "tablet", "Amazon", "Fire HD 10", "10.1 inch Tablet", "32GB|64GB", "Black|Ocean|Lilac", 139.99, 40),
    _f("Tablets", "tablet", "Microsoft", "Surface Pro 9", "13 inch 2-in-1 Tablet", "256GB|512GB", "Platinum|Graphite|Sapphire", 999.99, 300),
    _f("Smart Watches", "smart watch", "Apple", "Watch Series 9", "GPS Smartwatch", "41mm|45mm", "Midnight|Starlight|Silver|Pink", 399.00, 30),
    _f("Smart Watches", "smart watch", "Apple", "Watch Ultra 2", "GPS + Cellular Smartwatch", "49mm", "Titanium", 799.00),
    _f("Smart Watches", "smart watch", "Samsung", "Galaxy Watch6", "Bluetooth Smartwatch", "40mm|44mm", "Graphite|Gold|Silver", 299.99, 30),
    _f("Smart Watches", "smart watch", "Garmin", "Forerunner 265", "Running Smartwatch", "42mm|46mm", "Black|Whitestone|Aqua", 449.99),
    _f("Smart Watches", "smart watch", "Garmin", "Venu 3", "Fitness Smartwatch", "41mm|45mm", "Slate|Ivory", 449.99),
    _f("Smart Watches", "smart watch", "Fitbit", "Versa 4", "Fitness Smartwatch", "", "Black|Pink Sand|Waterfall Blue", 199.95),
    _f("Smart Watches", "fitness tracker", "Fitbit", "Charge 6", "Fitness Tracker", "", "Obsidian|Porcelain|Coral", 159.95),
    _f("Speakers", "speaker", "JBL", "Flip 6", "Portable Bluetooth Speaker", "", "Black|Blue|Red|Teal|Pink", 129.95),
    _f("Speakers", "speaker", "JBL", "Charge 5", "Portable Waterproof Speaker", "", "Black|Blue|Red|Camo", 179.95),
    _f("Speakers", "speaker", "JBL", "PartyBox 110", "Portable Party Speaker", "", "Black", 399.95),
    _f("Speakers", "speaker", "Bose", "SoundLink Flex", "Portable Bluetooth Speaker", "", "Black|Stone Blue|White Smoke", 149.00),
    _f("Speakers", "speaker", "Sonos", "Era 100", "Smart Speaker", "", "Black|White", 249.00),
    _f("Speakers", "soundbar", "Sonos", "Beam Gen 2", "Smart Soundbar", "", "Black|White", 499.00),
    _f("Speakers", "smart speaker", "Amazon", "Echo Dot 5th Gen", "Smart Speaker with Alexa", "", "Charcoal|Glacier White|Deep Sea Blue", 49.99),
    _f("Speakers", "speaker", "Ultimate Ears", "BOOM 3", "Portable Waterproof Speaker", "", "Night Black|Lagoon Blue|Sunset Red", 149.99),
    _f("Cameras", "camera", "Canon", "EOS R6 Mark II", "Mirrorless Camera Body", "", "Black", 2499.00),
    _f("Cameras", "camera", "Canon", "EOS Rebel T7", "DSLR Camera with 18-55mm Lens", "", "Black", 479.00),
    _f("Cameras", "camera", "Sony", "Alpha a7 IV", "Full-Frame Mirrorless Camera", "", "Black", 2499.99),
    _f("Cameras", "camera", "Sony", "ZV-E10", "Mirrorless Vlog Camera", "", "Black|White", 699.99),
    _f("Cameras", "camera", "Nikon", "Z 6II", "Mirrorless Camera Body", "", "Black", 1599.95),
    _f("Cameras", "action camera", "GoPro", "HERO12 Black", "Waterproof Action Camera", "", "Black", 399.99),
    _f("Cameras", "camera", "Fujifilm", "X-T5", "Mirrorless Camera Body", "", "Black|Silver", 1699.00),
    _f("Cameras", "instant camera", "Fujifilm", "Instax Mini 12", "Instant Camera", "", "Clay White|Pastel Blue|Blossom Pink|Mint Green", 79.95),
    _f("Gaming", "console", "Nintendo", "Switch OLED", "Gaming Console", "", "White|Neon Red and Blue", 349.99),
    _f("Gaming", "console", "Nintendo", "Switch Lite", "Handheld Gaming Console", "", "Coral|Turquoise|Yellow|Blue|Gray", 199.99),
    _f("Gaming", "console", "Sony", "PlayStation 5 Slim", "Console", "Disc Edition|Digital Edition", "White", 499.99, -50),
    _f("Gaming", "console", "Microsoft", "Xbox Series X", "Console", "1TB", "Black", 499.99),
    _f("Gaming", "console", "Microsoft", "Xbox Series S", "Console", "512GB|1TB", "Robot White|Carbon Black", 299.99, 50),
    _f("Gaming", "vr headset", "Meta", "Quest 3", "Mixed Reality Headset", "128GB|512GB", "White", 499.99, 150),
    _f("Gaming", "controller", "Sony", "DualSense", "Wireless Controller", "", "White|Midnight Black|Cosmic Red|Volcanic Red", 69.99),
    _f("Gaming", "controller", "Microsoft", "Xbox Wireless Controller", "Gamepad for Xbox and PC", "", "Carbon Black|Robot White|Pulse Red", 59.99),
    _f("Gaming", "gaming mouse", "Logitech", "G502 HERO", "Wired Gaming Mouse", "", "Black", 49.99),
    _f("Gaming", "gaming mouse", "Logitech", "G Pro X Superlight 2", "Wireless Gaming Mouse", "", "Black|White|Magenta", 159.99),
    _f("Gaming", "keyboard", "Logitech", "MX Keys S", "Wireless Keyboard", "", "Graphite|Pale Gray", 109.99),
    _f("Kitchen Appliances", "stand mixer", "KitchenAid", "Artisan KSM150PS", "Tilt-Head Stand Mixer", "5 quart", "Empire Red|Onyx Black|Aqua Sky|Pistachio|Contour Silver", 449.99),
    _f("Kitchen Appliances", "air fryer", "Ninja", "AF101", "Air Fryer", "4 quart", "Black|Gray", 99.99),
    _f("Kitchen Appliances", "air fryer", "Ninja", "Foodi DZ201", "Dual Zone Air Fryer", "8 quart", "Black", 199.99),
    _f("Kitchen Appliances", "blender", "Ninja", "Professional BL610", "Countertop Blender", "72 oz", "Black", 99.99),
    _f("Kitchen Appliances", "pressure cooker", "Instant Pot", "Duo 7-in-1", "Electric Pressure Cooker", "3 quart|6 quart|8 quart", "Stainless Steel", 79.99, 20),
    _f("Kitchen Appliances", "coffee maker", "Keurig", "K-Elite", "Single Serve Coffee Maker", "", "Brushed Silver|Brushed Slate|Black", 189.99),
    _f("Kitchen Appliances", "coffee maker", "Nespresso", "Vertuo Next", "Coffee and Espresso Machine", "", "Black|Light Grey|Cherry Red", 179.00),
    _f("Kitchen Appliances", "espresso machine", "Breville", "Barista Express BES870XL", "Espresso Machine", "", "Brushed Stainless Steel|Black Truffle", 699.95),
    _f("Kitchen Appliances", "food processor", "Cuisinart", "DFP-14BCNY", "Food Processor", "14 cup", "White|Brushed Stainless", 229.95),
    _f("Kitchen Appliances", "toaster oven", "Breville", "Smart Oven Air Fryer Pro", "Countertop Oven", "", "Brushed Stainless Steel", 399.95),
    _f("Vacuum Cleaners", "vacuum", "Dyson", "V15 Detect", "Cordless Vacuum Cleaner", "", "Yellow|Nickel", 749.99),
    _f("Vacuum Cleaners", "vacuum", "Dyson", "V8", "Cordless Stick Vacuum", "", "Silver|Nickel", 399.99),
    _f("Vacuum Cleaners", "vacuum", "Dyson", "Ball Animal 3", "Upright Vacuum", "", "Purple|Copper", 499.99),
    _f("Vacuum Cleaners", "vacuum", "Shark", "Navigator NV352", "Lift-Away Upright Vacuum", "", "Lavender|Blue", 199.99),
    _f("Vacuum Cleaners", "robot vacuum", "Shark", "AI Ultra RV2502AE", "Robot Vacuum with Self-Empty Base", "", "Black", 599.99),
    _f("Vacuum Cleaners", "robot vacuum", "iRobot", "Roomba j7+", "Self-Emptying Robot Vacuum", "", "Graphite", 799.99),
    _f("Vacuum Cleaners", "robot vacuum", "iRobot", "Roomba 694", "Wi-Fi Connected Robot Vacuum", "", "Charcoal Grey", 274.99),
    _f("Vacuum Cleaners", "wet dry vacuum", "Bissell", "CrossWave 1785A", "All-in-One Wet Dry Vacuum", "", "Titanium|Cobalt Blue", 279.99),
    _f("Shoes", "running shoes", "Nike", "Pegasus 40", "Men's Road Running Shoes", _SHOE, "Black|White|Red|Blue", 129.99),
    _f("Shoes", "sneakers", "Nike", "Air Max 270", "Men's Shoes", _SHOE, "Black|White|Red", 159.99),
    _f("Shoes", "sneakers", "Nike", "Air Force 1 '07", "Men's Shoes", _SHOE, "White|Black", 114.99),
    _f("Shoes", "running shoes", "Adidas", "Ultraboost Light", "Running Shoes", _SHOE, "Core Black|Cloud White|Blue", 189.99),
    _f("Shoes", "sneakers", "Adidas", "Samba OG", "Shoes", _SHOE, "Cloud White|Core Black|Green", 99.99),
    _f("Shoes", "running shoes", "New Balance", "Fresh Foam X 1080v13", "Running Shoes", _SHOE, "Black|Gray|Blue", 164.99),
    _f("Shoes", "sneakers", "New Balance", "990v6", "Made in USA Sneakers", _SHOE, "Grey|Navy", 199.99),
    _f("Shoes", "running shoes", "Brooks", "Ghost 15", "Neutral Running Shoes", _SHOE, "Black|Blue|Gray", 139.95),
    _f("Shoes", "running shoes", "ASICS", "Gel-Kayano 30", "Running Shoes", _SHOE, "Black|White|Blue", 159.95),
    _f("Shoes", "sneakers", "Converse", "Chuck Taylor All Star", "High Top Sneakers", _SHOE, "Black|White|Red|Navy", 64.99),
    _f("Clothing", "jeans", "Levi's", "501 Original", "Men's Straight Fit Jeans", "30x30|32x32|34x32|36x32", "Dark Stonewash|Light Indigo|Black", 69.50),
    _f("Clothing", "t-shirt", "Nike", "Dri-FIT Legend", "Men's Training T-Shirt", _TEE, "Black|White|Navy|Red", 25.00),
    _f("Clothing", "jacket", "The North Face", "1996 Retro Nuptse", "Puffer Jacket", _TEE, "Black|Summit Navy|Red", 320.00),
    _f("Clothing", "fleece", "Patagonia", "Better Sweater", "Quarter-Zip Fleece", _TEE, "Black|Stonewash|Oatmeal Heather", 139.00),
    _f("Clothing", "hoodie", "Champion", "Reverse Weave", "Pullover Hoodie", _TEE, "Black|Oxford Gray|Navy|Scarlet", 60.00),
    _f("Clothing", "shirt", "Under Armour", "Tech 2.0", "Short Sleeve Shirt", _TEE, "Black|Academy Blue|Red", 25.00),
    _f("Clothing", "socks", "Hanes", "X-Temp Crew", "Socks, 6-Pack", "M|L", "White|Black", 14.99),
    _f("Clothing", "leggings", "Lululemon", "Align", "High-Rise Pant 25\"", "size 4|size 6|size 8|size 10", "Black|Navy|Dark Olive", 98.00),
    _f("Coffee & Groceries", "coffee pods", "Starbucks", "Pike Place Roast K-Cup", "Medium Roast Coffee Pods", "24 count|48 count|96 count", "", 19.99, 18),
    _f("Coffee & Groceries", "coffee pods", "Dunkin'", "Original Blend K-Cup", "Medium Roast Coffee Pods", "22 count|44 count", "", 16.99, 15),
    _f("Coffee & Groceries", "coffee pods", "Nespresso", "Vertuo Melozio", "Coffee Pods", "10 count|30 count", "", 11.50, 20),
    _f("Coffee & Groceries", "ground coffee", "Starbucks", "Pike Place Roast", "Ground Coffee", "12 oz|18 oz|28 oz", "", 10.99, 5),
    _f("Coffee & Groceries", "coffee beans", "Lavazza", "Super Crema", "Whole Bean Coffee", "2.2 lb", "", 21.99),
    _f("Coffee & Groceries", "ground coffee", "Folgers", "Classic Roast", "Ground Coffee", "25.9 oz|43.5 oz", "", 11.49, 6),
    _f("Coffee & Groceries", "cereal", "General Mills", "Cheerios", "Whole Grain Oat Cereal", "8.9 oz|18 oz|2 pack", "", 4.29, 2),
    _f("Coffee & Groceries", "snack bars", "KIND", "Dark Chocolate Nuts & Sea Salt", "Snack Bars", "12 count|24 count", "", 17.49, 12),
    _f("Coffee & Groceries", "oatmeal", "Quaker", "Old Fashioned Oats", "Rolled Oats", "42 oz|2 pack", "", 6.49, 5),
    _f("Coffee & Groceries", "sparkling water", "LaCroix", "Pamplemousse", "Sparkling Water", "12 pack|24 pack", "", 5.99, 5),
    _f("Coffee & Groceries", "olive oil", "California Olive Ranch", "Extra Virgin", "Olive Oil", "16.9 oz|25.4 oz", "", 11.99, 4),
    _f("Beauty", "hair styler", "Dyson", "Airwrap", "Multi-Styler Complete Long", "", "Nickel and Copper|Strawberry Bronze", 599.99),
    _f("Beauty", "hair dryer", "Dyson", "Supersonic", "Hair Dryer", "", "Nickel and Copper|Iron and Fuchsia", 429.99),
    _f("Beauty", "moisturizer", "CeraVe", "Moisturizing Cream", "Face and Body Moisturizer", "12 oz|16 oz|19 oz", "", 15.99, 3),
    _f("Beauty", "moisturizer", "Neutrogena", "Hydro Boost", "Water Gel Face Moisturizer", "1.7 oz", "", 19.97),
    _f("Beauty", "hair treatment", "Olaplex", "No. 3", "Hair Perfector", "3.3 oz|8.5 oz", "", 30.00, 20),
    _f("Beauty", "serum", "The Ordinary", "Niacinamide 10% + Zinc 1%", "Face Serum", "30 ml|60 ml", "", 6.00, 4),
    _f("Beauty", "electric toothbrush", "Philips Sonicare", "4100", "Rechargeable Electric Toothbrush", "", "White|Black|Deep Pink", 49.96),
    _f("Beauty", "electric toothbrush", "Oral-B", "iO Series 9", "Rechargeable Electric Toothbrush", "", "Black Onyx|Rose Quartz", 299.99),
    _f("Beauty", "mascara", "Maybelline", "Lash Sensational", "Washable Mascara", "", "Very Black|Blackest Black", 8.99),
    _f("Beauty", "shaver", "Philips Norelco", "Shaver 7600", "Electric Shaver", "", "Black", 149.99),
)  # fmt: skip


def _sku(family: _Family, size: str, color: str) -> str:
    digest = hashlib.sha1(f"{family.brand}|{family.model}|{size}|{color}".encode()).hexdigest()
    code = "".join(ch for ch in family.category.upper() if ch.isalpha())[:3]
    return f"{code}-{digest[:8].upper()}"


def _title(family: _Family, size: str, color: str) -> str:
    parts = [f"{family.brand} {family.model} {family.description}"]
    parts.extend(part for part in (size, color) if part)
    return ", ".join(parts)


def demo_products(seed: int = 0) -> list[DemoProduct]:
    """The demo catalog's products, in catalog order.

    Every family contributes up to ``MAX_VARIANTS_PER_FAMILY`` (size, color) variants, drawn
    with `seed`; the same seed gives the same products.
    """
    rng = np.random.default_rng(seed)
    products: list[DemoProduct] = []
    for family in FAMILIES:
        sizes = family.sizes or ("",)
        colors = family.colors or ("",)
        variants = [(s_ix, size, color) for s_ix, size in enumerate(sizes) for color in colors]
        count = min(len(variants), MAX_VARIANTS_PER_FAMILY)
        picked = sorted(rng.choice(len(variants), size=count, replace=False).tolist())
        for index in picked:
            s_ix, size, color = variants[index]
            price = round(family.price + family.step * s_ix, 2)
            products.append(
                DemoProduct(
                    title=_title(family, size, color),
                    brand=family.brand,
                    category=family.category,
                    price=price,
                    sku=_sku(family, size, color),
                    color=color,
                    size=size,
                    model=family.model,
                    kind=family.kind,
                )
            )
    return products


def write_demo_catalog(path: Path, seed: int = 0) -> int:
    """Write the demo catalog as CSV (columns: ``CSV_COLUMNS``) atomically.

    Returns:
        The number of products written.
    """
    products = demo_products(seed)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(Path(path), "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for product in products:
            writer.writerow(
                [
                    csv_safe_cell(product.title),
                    csv_safe_cell(product.brand),
                    product.category,
                    f"{product.price:.2f}",
                    product.sku,
                    product.color,
                    product.size,
                    csv_safe_cell(product.model),
                ]
            )
    return len(products)
