"""Custom Streamlit components of the labeling app (static HTML + JS, no build step)."""
