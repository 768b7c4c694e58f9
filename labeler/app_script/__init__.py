"""The script handed to `streamlit run` (shipped as package data).

- ``voxcart_app``: The script `voxcart app` hands to `streamlit run` (shipped as package data).
"""
