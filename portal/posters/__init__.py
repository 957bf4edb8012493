"""Printable QR posters: layout, PDF, PNG preview and print view, and the service that gathers the sheets."""
