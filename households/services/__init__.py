"""Write paths of the registry. Every rule about a household lives in one function here, once.

Forms, the API, the Excel import, the workflow and the demo all call these functions; they
own the transaction, validate across rows, and raise `ValidationError` whose keys name the
field (`"main_cause"`, `"members"`, `"members.2.id_number"`) with Chinese messages.

By family: `registration` (new households, one or a 采集表 at once), `corrections` (edits),
`status` (动态调整: status and membership changes), `support` (income, 帮扶措施, helpers),
`year_locks` (the year an approval settled), `historical` (历史数据导入: records with their
original status and years), `privacy` (audited full ID numbers), with the
checks they share in `validation` and the stored 疑点 count in `warning_counts`.
"""

from core.errors import DuplicatePerson, StaleEdit

from ..fields import HOUSEHOLD_FIELDS, LIVING_CONDITION_FIELDS, MEMBER_FIELDS
from ..income import INCOME_ITEMS, IncomeFigures, net_income_per_capita
from .corrections import update_household
from .historical import historical_load_reason, log_loaded_households, record_historical_load
from .privacy import unmask_household
from .registration import COPY_FROM, REGISTER_CHUNK, NewHousehold, register_household, register_households
from .status import add_member, change_status, remove_member
from .support import add_aid_measure, assign_helper, create_helper, end_helper_assignment, save_income
from .validation import full_clean_or_raise, require_reason
from .warning_counts import refresh_warning_count, refresh_warning_counts, refresh_warning_counts_of
from .year_locks import check_year_open, lock_year, unlock_year

__all__ = [
    "COPY_FROM",
    "HOUSEHOLD_FIELDS",
    "INCOME_ITEMS",
    "LIVING_CONDITION_FIELDS",
    "MEMBER_FIELDS",
    "REGISTER_CHUNK",
    "DuplicatePerson",
    "IncomeFigures",
    "NewHousehold",
    "StaleEdit",
    "add_aid_measure",
    "add_member",
    "assign_helper",
    "change_status",
    "check_year_open",
    "create_helper",
    "end_helper_assignment",
    "full_clean_or_raise",
    "historical_load_reason",
    "lock_year",
    "log_loaded_households",
    "net_income_per_capita",
    "record_historical_load",
    "refresh_warning_count",
    "refresh_warning_counts",
    "refresh_warning_counts_of",
    "register_household",
    "register_households",
    "remove_member",
    "require_reason",
    "save_income",
    "unlock_year",
    "unmask_household",
    "update_household",
]
