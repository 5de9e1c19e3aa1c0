"""The years the system accepts, written once for every form and serializer (docs/domain.md).

建档立卡 began with 中办发〔2013〕25号, so a household, a measure, a project or a fund is of
2013 or later. Income may be recorded from 2010, the base year of the 2300-元 poverty line
that every later line is derived from. The limits are keyword arguments that Django form
fields and DRF serializer fields both take.
"""

FIRST_YEAR = 2013
FIRST_INCOME_YEAR = 2010
LAST_YEAR = 2100

YEAR_LIMITS = {"min_value": FIRST_YEAR, "max_value": LAST_YEAR}
INCOME_YEAR_LIMITS = {"min_value": FIRST_INCOME_YEAR, "max_value": LAST_YEAR}
