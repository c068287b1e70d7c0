"""Movement flows (动线): transfer chains and gate counts against a clock (``chains``), and their
vector tiles (``tiles``)."""
