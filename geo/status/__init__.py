"""House status (房态): THE rule "a household's / building's status on a date" (``rule``), the KPIs
built on it (``kpis``) and the reads of the status maps (``read``)."""
