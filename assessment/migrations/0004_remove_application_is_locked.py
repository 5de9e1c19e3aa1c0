# An application's lock is derived (approved and not reopened); the household's lock is the registry's.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0003_household_year_locks"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="application",
            name="is_locked",
        ),
    ]
