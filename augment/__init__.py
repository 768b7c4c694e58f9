"""voxcart.augment: noise, reverb and channel augmentation with recorded lineage."""
