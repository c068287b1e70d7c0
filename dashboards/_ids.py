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

# Map pages (房态图 /house-status, 楼组包干图 /responsibility, /wall); the maps' own stores are
# pattern-matching ids made by dashboards._map.
MAP_HEADER = "map-header"
MAP_MENU = "map-menu"  # the phone layout's menu button and what it folds
MAP_MENU_ITEMS = "map-menu-items"
SIMULATED_BADGE = "simulated-badge"
HOME_MAPS = "home-maps"
HS_PAGE = "hs-page"
HS_DATE = "hs-date"
HS_DATE_LABEL = "hs-date-label"
HS_PLAY = "hs-play"
HS_PLAY_TICK = "hs-play-tick"
HS_REFRESH = "hs-refresh"
HS_KPIS = "hs-kpis"
HS_LEGEND = "hs-legend"
HS_CARD = "hs-card"
HS_FILTER = "hs-filter"  # + "-district", "-subdistrict", "-grid", "-compound"
HS_SEARCH = "hs-search"
HS_SEARCH_GO = "hs-search-go"
HS_SEARCH_MESSAGE = "hs-search-message"
HS_PRINT = "hs-print"
HS_BRIEF = "hs-brief"
# The risk overlay of the house-status map (dashboards._risk_panel).
HS_RISK = "hs-risk"  # the side panel: stored areas, then the simulation
HS_RISK_AREAS = "hs-risk-areas"
HS_RISK_AREAS_DATA = "hs-risk-areas-data"
HS_RISK_SIM = "hs-risk-sim"
HS_RISK_SIM_DATA = "hs-risk-sim-data"
HS_RISK_DECLARED = "hs-risk-declared"
HS_SIMULATE = "hs-simulate"  # these three: the "type" of pattern-matching ids (_risk_panel.button_id)
HS_DECLARE = "hs-declare"
HS_SIM_CLEAR = "hs-sim-clear"
RS_PAGE = "rs-page"
RS_LEGEND = "rs-legend"
RS_GAPS = "rs-gaps"
RS_OVERLOADED = "rs-overloaded"
RS_CARD = "rs-card"
RS_REFRESH = "rs-refresh"
RS_PRINT = "rs-print"
WALL = "wall"
WALL_TITLE = "wall-title"
WALL_SIMULATED = "wall-simulated"
WALL_SIMULATED_BADGE = "wall-simulated-badge"
WALL_AS_OF = "wall-as-of"
WALL_CLOCK = "wall-clock"
WALL_STALE = "wall-stale"
WALL_KPIS = "wall-kpis"
WALL_LEGEND = "wall-legend"
WALL_CHANGED = "wall-changed"
WALL_REFRESH = "wall-refresh"
WALL_ROTATE = "wall-rotate"
WALL_TICK = "wall-tick"
WALL_STATE = "wall-state"
WALL_LAST_OK = "wall-last-ok"

# Closed-loop work on the house-status map and the wall (dashboards._loops_panel), and the
# house-status map's day shortcuts and floating building card.
HS_LOOPS = "hs-loops"
HS_DAY_ACTIVE = "hs-day-active"
HS_DAY_BUSIEST = "hs-day-busiest"
HS_DAY_TODAY = "hs-day-today"
HS_DAY_NOTE = "hs-day-note"
HS_CARD_CLOSE = "hs-card-close"
HS_CARD_FLOAT = "hs-card-float"
WALL_LOOPS = "wall-loops"

# The movement-flow map (动线管理图, /flows).
FL_PAGE = "fl-page"
FL_VIEW = "fl-view"
FL_AT = "fl-at"
FL_AT_LABEL = "fl-at-label"
FL_HOURS = "fl-hours"
FL_PLAY = "fl-play"
FL_PLAY_TICK = "fl-play-tick"
FL_REFRESH = "fl-refresh"
FL_KPIS = "fl-kpis"
FL_LEGEND = "fl-legend"
FL_OVERDUE = "fl-overdue"
FL_GAPS = "fl-gaps"
FL_CARD = "fl-card"
FL_COMPOUND = "fl-compound"
FL_COMPOUND_PANEL = "fl-compound-panel"
FL_LOOPS_PANEL = "fl-loops-panel"
FL_CHAIN = "fl-chain"  # pattern-matching {"type": FL_CHAIN, "chain": <chain id>}: a chain's button

# The vaccination campaign board (疫苗接种, /campaign).
CP_PAGE = "cp-page"
CP_CAMPAIGN = "cp-campaign"
CP_DATE = "cp-date"
CP_REFRESH = "cp-refresh"
CP_STATE = "cp-state"
CP_KPIS = "cp-kpis"
CP_TABLE = "cp-table"
CP_UNIT = "cp-unit"  # the store of the selected sub-district's code
CP_ROW = "cp-row"  # pattern-matching {"type": CP_ROW, "code": <unit code>}: a sub-district's row
CP_DETAIL = "cp-detail"
CP_DETAIL_TITLE = "cp-detail-title"
CP_COMMITTEES = "cp-committees"
CP_FUNNEL = "cp-funnel"
CP_SERIES = "cp-series"
CP_RANKING = "cp-ranking"
CP_LEGEND = "cp-legend"
CP_ALERT = "cp-alert"
# --- publish ---
HS_OVERLAYS = "hs-overlays"
"""The house-status map's checklist of published overlays (``dashboards._overlays_panel``)."""
HS_OVERLAYS_SHOWN = "hs-overlays-shown"

# --- keyplaces ---
HS_KEY_PLACES = "hs-key-places"
HS_KEY_PLACES_TOGGLE = "hs-key-places-toggle"
