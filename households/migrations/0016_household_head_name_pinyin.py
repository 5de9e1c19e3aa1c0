# Search by the head's name in full pinyin (machengming) beside the initials (MCM), both by prefix.
#
# The column is filled for the households already registered before its index is built: one
# pinyin per distinct name (a province repeats names), written in batches with UPDATE … FROM
# VALUES. The history trigger compares tracked columns only, and this one is not tracked, so the
# backfill adds no history rows.

from django.db import migrations, models

from households.names import pinyin_full  # the same function the registry services call

BATCH = 5000


def fill_pinyin(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT head_name FROM households_household WHERE head_name <> ''")
        names = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(names), BATCH):
            pairs = [(name, pinyin_full(name)) for name in names[start : start + BATCH]]
            values = ", ".join(["(%s, %s)"] * len(pairs))
            cursor.execute(
                f"""UPDATE households_household h SET head_name_pinyin = v.pinyin
                    FROM (VALUES {values}) AS v(name, pinyin) WHERE h.head_name = v.name""",  # noqa: S608 - placeholders only
                [item for pair in pairs for item in pair],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0015_ordinary_households_and_monitoring_category"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="head_name_pinyin",
            field=models.CharField(blank=True, editable=False, max_length=300, verbose_name="户主姓名全拼"),
        ),
        migrations.RunPython(fill_pinyin, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(
                fields=["head_name_initials"], name="household_initials_idx", opclasses=["varchar_pattern_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(
                fields=["head_name_pinyin"], name="household_pinyin_idx", opclasses=["varchar_pattern_ops"]
            ),
        ),
    ]
