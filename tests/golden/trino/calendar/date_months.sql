-- audience a | market m | dialect trino | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    CAST(AT_TIMEZONE(
      WITH_TIMEZONE(
        CAST(DATE_ADD(
          'month',
          -1,
          DATE_TRUNC(
            'month',
            CAST(AT_TIMEZONE(WITH_TIMEZONE("now"."as_of", 'UTC'), 'Europe/Berlin') AS DATE)
          )
        ) AS TIMESTAMP(6)),
        'Europe/Berlin'
      ),
      'UTC'
    ) AS TIMESTAMP(6)) AS "cal_month_1"
  FROM (
    SELECT
      CAST(AT_TIMEZONE(CURRENT_TIMESTAMP, 'UTC') AS TIMESTAMP(6)) AS "as_of"
  ) AS "now"
), "profiles" AS (
  SELECT
    "src"."id" AS "member_id",
    "src"."signup" AS "t_signup"
  FROM "people" AS "src"
  WHERE
    NOT "src"."id" IS NULL
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
    CAST(AT_TIMEZONE(WITH_TIMEZONE(CAST("t_signup" AS TIMESTAMP(6)), 'Europe/Berlin'), 'UTC') AS TIMESTAMP(6)) >= "cal_month_1"
    AND CAST(AT_TIMEZONE(WITH_TIMEZONE(CAST("t_signup" AS TIMESTAMP(6)), 'Europe/Berlin'), 'UTC') AS TIMESTAMP(6)) <= "as_of"
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
