"""Models of the phone app."""
