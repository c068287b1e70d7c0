"""Tile layers as plugins: one module per layer, gathered in ``registry.default_layers()``."""
