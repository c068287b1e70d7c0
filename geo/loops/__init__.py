"""Closed-loop work (闭环管理): loop kinds as YAML (``kinds``), the append-only log and its SQL
(``store``), where an item stands (``progress``), evidence checks (``evidence``), targets on the map
(``targets``) and the engine that opens, completes, escalates and reassigns (``engine``)."""
