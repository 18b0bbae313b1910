"""Streamlit glue shared by the pages: the process-wide store, cached reads, formatting.
Pages hold UI only; they read through `ui.data` and change things through `clearance`."""
