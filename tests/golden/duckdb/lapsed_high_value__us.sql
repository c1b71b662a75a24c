-- audience lapsed_high_value | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."ltv_usd" AS "t_lifetime_value",
    "src"."employee_flag" AS "t_is_employee",
    "src"."last_login_ts" AS "t_last_login_at"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL AND "src"."ltv_usd" >= 500
), "ev_purchase" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    COUNT(*) FILTER(WHERE
      "src"."ordered_at" >= '2026-08-03 00:00:00.000000+00:00') AS "n_purchase_2"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."ordered_at" >= '2025-11-01 00:00:00.000000+00:00'
  GROUP BY
    "src"."customer_id"
  HAVING
    COALESCE(COUNT(*), 0) >= 3
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
    "profiles"."t_lifetime_value" AS "t_lifetime_value",
    "profiles"."t_is_employee" AS "t_is_employee",
    "profiles"."t_last_login_at" AS "t_last_login_at",
    COALESCE("ev_purchase"."n_purchase_2", 0) AS "n_purchase_2",
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
    NOT "n_purchase_2" >= 1
    AND NOT (
      (
        NOT "t_is_employee" IS NULL AND "t_is_employee" = TRUE
      )
      OR (
        NOT "t_last_login_at" IS NULL
        AND "t_last_login_at" >= '2026-10-18 00:00:00.000000+00:00'
        AND NOT "t_last_login_at" IS NULL
        AND "t_last_login_at" <= '2026-11-01 00:00:00.000000+00:00'
      )
    )
    AND "c_ads_personalization_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
