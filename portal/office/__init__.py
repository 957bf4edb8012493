"""The discipline office's pages."""
