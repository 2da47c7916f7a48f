"""orggraph: the organization department's graph of who contacts whom, and coverage."""

__version__ = "0.1.0"
