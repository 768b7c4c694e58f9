"""The script `voxcart app` hands to `streamlit run` (shipped as package data).

It lives in its own folder because Streamlit treats a `pages/` folder beside the main script
as old-style pages, which would clash with the app's `st.navigation` routing.
"""

from voxcart.labeler.app.main import main

main()
