"""PostgreSQL's rank histogram (scores.models.RankBucket): the bucket
functions, the trigger on scores_best that keeps the counts, and the counts
of the entries already there.

The trigger is created and the existing entries counted in one transaction
that holds writes to scores_best off meanwhile (SHARE: reads go on), so no
entry is counted twice or missed; on a populated table that pauses
submissions for about a second per million entries. SQLite gets the table
only (its reads count entries).
"""

import django.db.models.deletion
from django.db import migrations, models

# A rank key's bucket, in rank order: magnitudes below 256 alone, then 128
# buckets per power of two (a magnitude's bit length e gives shift e - 8,
# and the bucket is 128 * shift + the magnitude's top 8 bits); a negative
# key's bucket mirrors its magnitude's below zero. `low` is the smallest
# key in a bucket, so a bucket holds exactly the keys from its low to the
# next bucket's. Not STRICT: PostgreSQL inlines an SQL function into the
# query that calls it only when it cannot tell that it is strict, and a
# call that is not inlined costs a hundred times more (rank keys are never
# null; a null would give a null bucket all the same).
POWERS_OF_TWO = ", ".join(str(2**power) for power in range(63))
FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION podium_bit_length(m bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT width_bucket(m, ARRAY[{POWERS_OF_TWO}]::bigint[])
$$;

CREATE OR REPLACE FUNCTION podium_magnitude_bucket(m bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN m < 256 THEN m
    ELSE 128 * (podium_bit_length(m) - 8) + (m >> (podium_bit_length(m) - 8)) END
$$;

CREATE OR REPLACE FUNCTION podium_magnitude_low(b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN b < 256 THEN b ELSE (b - 128 * (b / 128 - 1)) << (b / 128 - 1)::integer END
$$;

CREATE OR REPLACE FUNCTION podium_magnitude_high(b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN b < 256 THEN b ELSE ((b - 128 * (b / 128 - 1) + 1) << (b / 128 - 1)::integer) - 1 END
$$;

CREATE OR REPLACE FUNCTION podium_rank_bucket(k bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN k < 0 THEN -podium_magnitude_bucket(-k) - 1 ELSE podium_magnitude_bucket(k) END
$$;

CREATE OR REPLACE FUNCTION podium_rank_bucket_low(b bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN b < 0 THEN -podium_magnitude_high(-b - 1) ELSE podium_magnitude_low(b) END
$$;
"""

# Each entry that comes, goes or changes bucket moves one count. A row's
# two buckets are changed lowest first, and a submission writes its periods
# in one order, so concurrent writers take bucket rows in one order (no
# deadlock between them).
TRIGGER = """
CREATE OR REPLACE FUNCTION podium_count_rank_buckets() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  gone bigint;
  came bigint;
  board bigint;
  the_period varchar;
  start date;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    gone := podium_rank_bucket(OLD.rank_key);
    board := OLD.board_id; the_period := OLD.period; start := OLD.period_start;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    came := podium_rank_bucket(NEW.rank_key);
    board := NEW.board_id; the_period := NEW.period; start := NEW.period_start;
  END IF;
  IF gone IS NOT DISTINCT FROM came THEN
    RETURN NULL;
  END IF;
  INSERT INTO scores_rankbucket (board_id, period, period_start, bucket, entries)
  SELECT board, the_period, start, bucket, delta
  FROM (VALUES (gone, -1), (came, 1)) AS moved (bucket, delta)
  WHERE bucket IS NOT NULL
  ORDER BY bucket
  ON CONFLICT (board_id, period, period_start, bucket)
  DO UPDATE SET entries = scores_rankbucket.entries + EXCLUDED.entries;
  RETURN NULL;
END
$$;

LOCK TABLE scores_best IN SHARE MODE;

CREATE TRIGGER scores_best_rank_buckets_insert AFTER INSERT ON scores_best
FOR EACH ROW EXECUTE FUNCTION podium_count_rank_buckets();

CREATE TRIGGER scores_best_rank_buckets_delete AFTER DELETE ON scores_best
FOR EACH ROW EXECUTE FUNCTION podium_count_rank_buckets();

CREATE TRIGGER scores_best_rank_buckets_update AFTER UPDATE OF rank_key ON scores_best
FOR EACH ROW WHEN (podium_rank_bucket(OLD.rank_key) IS DISTINCT FROM podium_rank_bucket(NEW.rank_key))
EXECUTE FUNCTION podium_count_rank_buckets();

INSERT INTO scores_rankbucket (board_id, period, period_start, bucket, entries)
SELECT board_id, period, period_start, podium_rank_bucket(rank_key), COUNT(*)
FROM scores_best GROUP BY 1, 2, 3, 4;
"""

UNDO = """
DROP TRIGGER IF EXISTS scores_best_rank_buckets_insert ON scores_best;
DROP TRIGGER IF EXISTS scores_best_rank_buckets_delete ON scores_best;
DROP TRIGGER IF EXISTS scores_best_rank_buckets_update ON scores_best;
DROP FUNCTION IF EXISTS podium_count_rank_buckets();
DROP FUNCTION IF EXISTS podium_rank_bucket_low(bigint);
DROP FUNCTION IF EXISTS podium_rank_bucket(bigint);
DROP FUNCTION IF EXISTS podium_magnitude_high(bigint);
DROP FUNCTION IF EXISTS podium_magnitude_low(bigint);
DROP FUNCTION IF EXISTS podium_magnitude_bucket(bigint);
DROP FUNCTION IF EXISTS podium_bit_length(bigint);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)
        schema_editor.execute(TRIGGER)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO)


class Migration(migrations.Migration):
    dependencies = [("scores", "0007_idempotency_facts")]

    operations = [
        migrations.CreateModel(
            name="RankBucket",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "period",
                    models.CharField(
                        choices=[
                            ("all", "All time"),
                            ("day", "Day (UTC)"),
                            ("week", "ISO week (UTC)"),
                            ("month", "Month (UTC)"),
                        ],
                        max_length=5,
                    ),
                ),
                ("period_start", models.DateField()),
                ("bucket", models.BigIntegerField()),
                ("entries", models.BigIntegerField(default=0)),
                (
                    "board",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="scores.board",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("board", "period", "period_start", "bucket"), name="scores_rankbucket_one_per_bucket"
                    )
                ],
            },
        ),
        migrations.RunPython(create, drop, elidable=False),
    ]
