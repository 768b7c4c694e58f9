"""voxcart.model: transcript suggestions, catalog-adapted decoding, fine-tuning and evaluation."""
