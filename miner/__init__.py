"""miner: mine a small, hard, diverse benchmark from a large log of chatbot conversations."""

__version__ = "0.1.0"
