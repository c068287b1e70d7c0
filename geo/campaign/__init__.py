"""Vaccination campaigns (疫苗接种管理闭环): the write rule (``store``), the board (``board``), progress
over time (``series``), the public totals (``public``) and unit references (``units``)."""
