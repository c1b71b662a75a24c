-- audience a | market m | dialect clickhouse | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    toTimeZone(
      toDateTime64(
        subtractMonths(toDate32(toStartOfMonth(toDate32(toTimeZone("now"."as_of", 'Europe/Berlin')))), 1),
        6,
        'Europe/Berlin'
      ),
      'UTC'
    ) AS "cal_month_1"
  FROM (
    SELECT
      now64(6, 'UTC') AS "as_of"
  ) AS "now"
), "profiles" AS (
  SELECT
    "src"."id" AS "member_id",
    "src"."signup" AS "t_signup"
  FROM "people" AS "src"
  WHERE
    NOT (
      "src"."id" IS NULL
    )
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_signup" AS "t_signup",
    "params"."as_of" AS "as_of",
    "params"."cal_month_1" AS "cal_month_1"
  FROM "profiles"
  CROSS JOIN "params"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    toTimeZone(toDateTime64("t_signup", 6, 'Europe/Berlin'), 'UTC') >= "cal_month_1"
    AND toTimeZone(toDateTime64("t_signup", 6, 'Europe/Berlin'), 'UTC') <= "as_of"
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
