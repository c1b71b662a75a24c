-- audience a | market m | dialect snowflake | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH "params" AS (
  SELECT
    "now"."as_of" AS "as_of",
    CONVERT_TIMEZONE(
      'Europe/Berlin',
      'UTC',
      CAST(DATEADD(
        MONTH,
        -1,
        DATE_TRUNC('MONTH', CAST(CONVERT_TIMEZONE('UTC', 'Europe/Berlin', "now"."as_of") AS DATE))
      ) AS TIMESTAMPNTZ)
    ) AS "cal_month_1"
  FROM (
    SELECT
      SYSDATE() AS "as_of"
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
    CONVERT_TIMEZONE('Europe/Berlin', 'UTC', CAST("t_signup" AS TIMESTAMPNTZ)) >= "cal_month_1"
    AND CONVERT_TIMEZONE('Europe/Berlin', 'UTC', CAST("t_signup" AS TIMESTAMPNTZ)) <= "as_of"
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
