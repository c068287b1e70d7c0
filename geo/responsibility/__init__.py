"""The responsibility chain (包干): THE rule "who answers for a building" (``rule``), and the gaps
and overloaded people it shows (``gaps``)."""
