-- audience holiday_shoppers | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."created_on" AS "t_signup_date",
    "src"."age_years" AS "t_age",
    "src"."country_code" AS "t_country"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL AND "src"."created_on" < CAST('2025-11-01' AS DATE)
), "ev_purchase" AS (
  SELECT
    "src"."customer_id" AS "member_id"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."ordered_at" >= '2025-11-24 00:00:00.000000+00:00'
    AND "src"."ordered_at" < '2026-01-01 00:00:00.000000+00:00'
    AND (
      STRPOS((
        LOWER("src"."promo_code") COLLATE "binary"
      ), 'blackfriday') > 0
      OR "src"."promo_code" COLLATE "binary" = '50%_off'
    )
  GROUP BY
    "src"."customer_id"
), "ev_purchase_2" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    COUNT(*) AS "n_purchase_2"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."ordered_at" >= '2026-09-30 23:00:00.000000+00:00'
    AND "src"."order_total" < 5
    AND "src"."sales_channel" COLLATE "binary" <> 'store'
  GROUP BY
    "src"."customer_id"
), "consent" AS (
  SELECT
    "src"."user_id" AS "member_id",
    0 AS "c_ads_personalization_granted",
    CASE
      WHEN (
        MAX(
          EPOCH_US("src"."changed_at") * 2 + CASE WHEN "src"."state" COLLATE "binary" <> 'opt_in' THEN 1 ELSE 0 END
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_refused"
  FROM "privacy"."consent_log" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."changed_at" IS NULL
    AND "src"."changed_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."purpose_code" COLLATE "binary" IN ('targeted_ads')
    AND "src"."state" COLLATE "binary" IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    "src"."user_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_signup_date" AS "t_signup_date",
    "profiles"."t_age" AS "t_age",
    "profiles"."t_country" AS "t_country",
    COALESCE("ev_purchase_2"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  LEFT JOIN "ev_purchase_2"
    ON "ev_purchase_2"."member_id" = "profiles"."member_id"
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
        AND NOT "t_country" COLLATE "binary" IN ('DE', 'AT', 'CH', 'US', 'CA', 'FR', 'BE', 'LU')
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
