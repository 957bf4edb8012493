"""The application: settings, database, the office's back office and the command line."""
