"""voxcart.labeler: the Streamlit app in which annotators, reviewers and leads work."""
