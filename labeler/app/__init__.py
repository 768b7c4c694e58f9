"""The Streamlit app's shell: routing pages by role and the context every page shares.

- ``context``: What every page of the labeling app shares: the project it serves, the logged-in
  user, roles.
- ``main``: The labeling app's routing: the logged-in user gets the pages their role allows.
"""
