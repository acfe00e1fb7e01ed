"""The reasons a move is lost or cancelled, until the company edits the list."""

from django.db import migrations

DEFAULTS = {
    "lost": [
        ("price", "Price too high"),
        ("competitor", "Chose another mover"),
        ("timing", "We could not do the date"),
        ("no_response", "Stopped answering"),
        ("not_moving", "No longer moving"),
        ("other", "Other"),
    ],
    "cancelled": [
        ("customer_cancelled", "The customer cancelled"),
        ("duplicate", "Duplicate of another opportunity"),
        ("spam", "Spam or a test"),
        ("other", "Other"),
    ],
}


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    CloseReason = apps.get_model("sales", "CloseReason")
    for kind, reasons in DEFAULTS.items():
        for position, (key, label) in enumerate(reasons):
            CloseReason.objects.get_or_create(
                kind=kind, key=key, defaults={"label": label, "position": position}
            )


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("sales", "CloseReason").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
