"""The demo province: regions, households and users (province.py), then applications, plans
and samples (assessment.py) and projects and funds (funds.py), each through the services."""

from .province import (
    DEFAULT_HOUSEHOLDS,
    DEMO_PASSWORD,
    DEMO_YEAR,
    build_regions,
    demo_is_loaded,
    ensure_demo_users,
    id_check_char,
    load_demo,
)

__all__ = [
    "DEFAULT_HOUSEHOLDS",
    "DEMO_PASSWORD",
    "DEMO_YEAR",
    "build_regions",
    "demo_is_loaded",
    "ensure_demo_users",
    "id_check_char",
    "load_demo",
]
