"""Home-isolation devices (技防: smart door sensors 门磁, thermometers): what a message says
(``payload``), their rows (``store``), the alert rules (``rules``), alerts as loop items
(``alerts``, ``sweep``) and what the map and the card show of them (``kpis``)."""
