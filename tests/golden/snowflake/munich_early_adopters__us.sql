-- audience munich_early_adopters | market us | dialect snowflake | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."city_name" AS "t_city",
    "src"."created_on" AS "t_signup_date"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND SUBSTRING(LOWER("src"."city_name"), 1, 3) = 'mün'
    AND "src"."created_on" < CAST('2025-01-01' AS DATE)
), "events_events_sessions" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "events"."sessions" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."session_start" IS NULL
    AND "src"."session_start" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
  GROUP BY
    "src"."user_id"
  HAVING
    NOT MIN("src"."session_start") IS NULL
    AND MIN("src"."session_start") < CAST('2026-01-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND COALESCE(
      COUNT(
        CASE
          WHEN "src"."session_start" >= CAST('2026-09-01 00:00:00.000000' AS TIMESTAMPNTZ)
          THEN 1
        END
      ),
      0
    ) >= 1
), "events_events_cart_adds" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "events"."cart_adds" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."added_at" IS NULL
    AND "src"."added_at" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND "src"."product_category" = 'shoes'
    AND "src"."unit_price" <= 200
    AND "src"."added_at" >= CAST('2026-09-02 00:00:00.000000' AS TIMESTAMPNTZ)
  GROUP BY
    "src"."user_id"
), "events_events_orders" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    COUNT(*) AS "n_purchase_4"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND "src"."ordered_at" >= CAST('2026-10-31 12:00:00.000000' AS TIMESTAMPNTZ)
  GROUP BY
    "src"."customer_id"
), "consent" AS (
  SELECT
    "src"."user_id" AS "member_id",
    0 AS "c_ads_personalization_granted",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."purpose_code" = 'targeted_ads'
          AND "src"."state" IN ('opt_out', 'withdrawn')
          THEN "src"."changed_at"
        END
      ) = MAX(CASE WHEN "src"."purpose_code" = 'targeted_ads' THEN "src"."changed_at" END)
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_refused",
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
    NOT "src"."user_id" IS NULL
    AND NOT "src"."changed_at" IS NULL
    AND "src"."changed_at" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND "src"."purpose_code" IN ('targeted_ads', 'email')
    AND "src"."state" IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    "src"."user_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_city" AS "t_city",
    "profiles"."t_signup_date" AS "t_signup_date",
    COALESCE("events_events_orders"."n_purchase_4", 0) AS "n_purchase_4",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  INNER JOIN "events_events_sessions"
    ON "events_events_sessions"."member_id" = "profiles"."member_id"
  INNER JOIN "events_events_cart_adds"
    ON "events_events_cart_adds"."member_id" = "profiles"."member_id"
  LEFT JOIN "events_events_orders"
    ON "events_events_orders"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    NOT (
      (
        NOT "t_signup_date" IS NULL AND "t_signup_date" >= CAST('2026-10-02' AS DATE)
      )
      OR "n_purchase_4" >= 1
    )
    AND "c_ads_personalization_refused" = 0
    AND "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
