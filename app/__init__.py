"""peer-ce: continuing-education tracking for certified peer support specialists."""

__version__ = "0.1.0"
