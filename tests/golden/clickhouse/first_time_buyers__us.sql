-- audience first_time_buyers | market us | dialect clickhouse | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT (
      "src"."user_id" IS NULL
    )
), "events_events_orders" AS (
  SELECT
    "src"."customer_id" AS "member_id"
  FROM "events"."orders" AS "src"
  WHERE
    NOT (
      "src"."customer_id" IS NULL
    )
    AND NOT (
      "src"."ordered_at" IS NULL
    )
    AND "src"."ordered_at" <= CAST('2026-11-01 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
  GROUP BY
    "src"."customer_id"
  HAVING
    COALESCE(COUNT(*), 0) = 1
    AND COALESCE(
      COUNT(
        CASE
          WHEN "src"."ordered_at" >= CAST('2026-10-02 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
          THEN 1
        END
      ),
      0
    ) >= 1
), "consent" AS (
  SELECT
    "src"."user_id" AS "member_id",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."purpose_code" = 'email' AND "src"."state" = 'opt_in'
          THEN "src"."changed_at"
        END
      ) = MAX(CASE WHEN "src"."purpose_code" = 'email' THEN "src"."changed_at" END)
      THEN 1
      ELSE 0
    END AS "c_email_marketing_granted",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."purpose_code" = 'email' AND "src"."state" IN ('opt_out', 'withdrawn')
          THEN "src"."changed_at"
        END
      ) = MAX(CASE WHEN "src"."purpose_code" = 'email' THEN "src"."changed_at" END)
      THEN 1
      ELSE 0
    END AS "c_email_marketing_refused"
  FROM "privacy"."consent_log" AS "src"
  WHERE
    NOT (
      "src"."user_id" IS NULL
    )
    AND NOT (
      "src"."changed_at" IS NULL
    )
    AND "src"."changed_at" <= CAST('2026-11-01 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
    AND "src"."purpose_code" IN ('email')
    AND "src"."state" IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    "src"."user_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  INNER JOIN "events_events_orders"
    ON "events_events_orders"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    "c_email_marketing_granted" = 1 AND "c_email_marketing_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
