"""The labeling app's pages: each module exposes ``render() -> None`` and checks its own role."""
