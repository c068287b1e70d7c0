"""Component ids of every page, in one place (pages import them; tests look them up)."""

from __future__ import annotations

# Home page (/): what is loaded.
HOME = "home"
HOME_LANGUAGE = "home-language"
HOME_AS_OF = "home-as-of"
HOME_ALERT = "home-alert"
HOME_COUNTS = "home-counts"
HOME_TOTALS = "home-totals"
HOME_FOOTER = "home-footer"
