"""Idempotency claims keep the facts of their submission (`written`); the
first response moves to Redis, so `response_body` may be empty. Both are
instant on a populated table (a nullable column, a dropped NOT NULL);
records of the previous release keep their `response_body` and replay it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('scores', '0006_refuse_function'),
    ]

    operations = [
        migrations.AddField(
            model_name='idempotencyrecord',
            name='written',
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='idempotencyrecord',
            name='response_body',
            field=models.JSONField(blank=True, null=True),
        ),
    ]
