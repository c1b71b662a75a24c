-- audience big_spenders | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."rewards_tier" AS "t_loyalty_tier",
    "src"."employee_flag" AS "t_is_employee"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND "src"."rewards_tier" COLLATE "binary" IN ('gold', 'platinum')
), "ev_purchase" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    SUM("src"."order_total") FILTER(WHERE
      "src"."ordered_at" >= '2026-08-03 00:00:00.000000+00:00') AS "sum_purchase_revenue_1",
    MAX("src"."order_total") AS "max_purchase_revenue_2"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
  GROUP BY
    "src"."customer_id"
  HAVING
    COALESCE(
      COUNT("src"."order_total") FILTER(WHERE
        "src"."sales_channel" COLLATE "binary" = 'web'),
      0
    ) > 0
    AND COALESCE(
      SUM("src"."order_total") FILTER(WHERE
        "src"."sales_channel" COLLATE "binary" = 'web'),
      0
    ) > 40 * COALESCE(
      COUNT("src"."order_total") FILTER(WHERE
        "src"."sales_channel" COLLATE "binary" = 'web'),
      0
    )
    AND NOT MIN("src"."order_total") FILTER(WHERE
      "src"."ordered_at" >= '2025-11-01 00:00:00.000000+00:00') IS NULL
    AND MIN("src"."order_total") FILTER(WHERE
      "src"."ordered_at" >= '2025-11-01 00:00:00.000000+00:00') >= 10
    AND COALESCE(COUNT(*), 0) >= 2
    AND COALESCE(COUNT(*), 0) <= 50
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
    "profiles"."t_loyalty_tier" AS "t_loyalty_tier",
    "profiles"."t_is_employee" AS "t_is_employee",
    COALESCE("ev_purchase"."sum_purchase_revenue_1", 0) AS "sum_purchase_revenue_1",
    "ev_purchase"."max_purchase_revenue_2" AS "max_purchase_revenue_2",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  LEFT JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    (
      "sum_purchase_revenue_1" >= 500
      OR (
        NOT "max_purchase_revenue_2" IS NULL AND "max_purchase_revenue_2" > 1000
      )
    )
    AND NOT (
      NOT "t_is_employee" IS NULL AND "t_is_employee" = TRUE
    )
    AND "c_ads_personalization_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
