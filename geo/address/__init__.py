"""Offline address matching: Chinese street addresses of Shanghai matched to the gazetteer.

``normalise`` reduces spellings to one key, ``parse`` cuts a key into road, lane, number,
building, floor and room, ``match`` finds the gazetteer entry with a level and a score, and
``review`` writes the rows a person should look at. No online geocoder is involved.
"""

from geo.address.normalise import canonical_district, match_key, split_district

__all__ = ["canonical_district", "match_key", "split_district"]
