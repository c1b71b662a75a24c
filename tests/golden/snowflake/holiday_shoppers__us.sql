-- audience holiday_shoppers | market us | dialect snowflake | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."created_on" AS "t_signup_date",
    "src"."age_years" AS "t_age",
    "src"."country_code" AS "t_country"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL AND "src"."created_on" < CAST('2025-11-01' AS DATE)
), "events_events_orders" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    COUNT(
      CASE
        WHEN "src"."order_total" < 5
        AND "src"."sales_channel" <> 'store'
        AND "src"."ordered_at" >= CAST('2026-09-30 23:00:00.000000' AS TIMESTAMPNTZ)
        THEN 1
      END
    ) AS "n_purchase_2"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND "src"."ordered_at" >= CAST('2025-11-24 00:00:00.000000' AS TIMESTAMPNTZ)
  GROUP BY
    "src"."customer_id"
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN (
            CHARINDEX('blackfriday', LOWER("src"."promo_code")) > 0
            OR "src"."promo_code" = '50%_off'
          )
          AND "src"."ordered_at" >= CAST('2025-11-24 00:00:00.000000' AS TIMESTAMPNTZ)
          AND "src"."ordered_at" < CAST('2026-01-01 00:00:00.000000' AS TIMESTAMPNTZ)
          THEN 1
        END
      ),
      0
    ) >= 1
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
    END AS "c_ads_personalization_refused"
  FROM "privacy"."consent_log" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."changed_at" IS NULL
    AND "src"."changed_at" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMPNTZ)
    AND "src"."purpose_code" IN ('targeted_ads')
    AND "src"."state" IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    "src"."user_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_signup_date" AS "t_signup_date",
    "profiles"."t_age" AS "t_age",
    "profiles"."t_country" AS "t_country",
    COALESCE("events_events_orders"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
  INNER JOIN "events_events_orders"
    ON "events_events_orders"."member_id" = "profiles"."member_id"
  LEFT JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    (
      (
        "t_age" >= 25 AND "t_age" <= 54
      ) OR "t_age" IS NULL
    )
    AND NOT (
      (
        NOT "t_country" IS NULL
        AND NOT "t_country" IN ('DE', 'AT', 'CH', 'US', 'CA', 'FR', 'BE', 'LU')
      )
      OR "n_purchase_2" >= 1
    )
    AND "c_ads_personalization_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
