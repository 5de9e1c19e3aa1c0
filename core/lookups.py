"""`field__any=[…]`: `field = ANY(%s)` with the values as one array parameter.

`field__in` with thousands of values (the 采集表 import looks up 1,750 ID hashes a chunk) makes a
query of thousands of placeholders, which Django assembles and psycopg re-parses in Python;
one array parameter is one placeholder, and PostgreSQL uses the same index for it.
"""

from django.db import models
from django.db.models import Lookup


@models.CharField.register_lookup
class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)
