-- audience first_time_buyers | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
), "ev_purchase" AS (
  SELECT
    "src"."customer_id" AS "member_id"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
  GROUP BY
    "src"."customer_id"
  HAVING
    COALESCE(COUNT(*), 0) = 1
    AND COALESCE(
      COUNT(*) FILTER(WHERE
        "src"."ordered_at" >= '2026-10-02 00:00:00.000000+00:00'),
      0
    ) >= 1
), "consent" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "privacy"."consent_log" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."changed_at" IS NULL
    AND "src"."changed_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."purpose_code" COLLATE "binary" IN ('email')
    AND "src"."state" COLLATE "binary" IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    "src"."user_id"
  HAVING
    (
      MAX(
        EPOCH_US("src"."changed_at") * 2 + CASE WHEN "src"."state" COLLATE "binary" <> 'opt_in' THEN 1 ELSE 0 END
      ) & 1
    ) = 0
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
