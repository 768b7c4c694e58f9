"""voxcart.datasets: the project store, audio import and validation, splits, and manifest export."""
