"""Risk areas (封控区/管控区/防范区): zone rules (``rules``), zones around cases (``zones``), what they
hold (``counts``), rings (``rings``), the SOP clocks (``sop``), stored areas (``store``) and the map's
what-if (``whatif``)."""
