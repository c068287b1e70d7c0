"""The UI's strings: key -> {"zh": ..., "en": ..., "ja": ..., "ko": ...}, read through ``dashboards._i18n.t``.

Data, not code: one table, grouped by the page or panel that shows them, each group in its own
``_strings_*`` module so none outgrows a screenful (domain terms come from ``geo.vocab``, never from
here; place names stay Chinese in every language). A new group is a module of its own joined here,
every entry in all four languages (``tests/dashboards/test_strings_languages.py``).
"""

from __future__ import annotations

from dashboards._strings_campaign import CAMPAIGN_STRINGS
from dashboards._strings_field import FIELD_STRINGS
from dashboards._strings_flows import FLOW_STRINGS
from dashboards._strings_home import HOME_STRINGS
from dashboards._strings_maps import MAP_STRINGS
from dashboards._strings_places import PLACE_STRINGS
from dashboards._strings_services import SERVICES_STRINGS

STRINGS: dict[str, dict[str, str]] = {
    **HOME_STRINGS,
    **MAP_STRINGS,
    **FLOW_STRINGS,
    **CAMPAIGN_STRINGS,
    **FIELD_STRINGS,
    **PLACE_STRINGS,
    **SERVICES_STRINGS,
}
