"""The daily situation brief (日报): one to three A4 pages per district or sub-district for leaders.

``gather_brief`` (``layers.brief.data``) reads every figure through the pages' own functions into one
typed ``Brief``; ``SECTIONS`` (``layers.brief.sections``) draw it; ``print_brief``
(``layers.brief.publish``) prints and audits it for ``battlemap brief`` and ``GET /print/brief.pdf``.
"""

from __future__ import annotations

from layers.brief.data import Brief, gather_brief
from layers.brief.publish import BriefRequest, print_brief
from layers.brief.sections import SECTIONS

__all__ = ["SECTIONS", "Brief", "BriefRequest", "gather_brief", "print_brief"]
