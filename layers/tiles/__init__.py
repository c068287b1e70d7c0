"""Tile layers as plugins: one module per layer (a ``layer.TileLayer``), gathered by the registry."""
