"""The Streamlit web app (``vistune app``); ``page`` is the script Streamlit runs."""
