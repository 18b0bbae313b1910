"""HTTP routes for machine clients, served beside the Streamlit app by `server.py`."""
