-- audience munich_early_adopters | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."city_name" AS "t_city",
    "src"."created_on" AS "t_signup_date"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND SUBSTRING(LOWER("src"."city_name"), 1, 3) COLLATE "binary" = 'mün'
    AND "src"."created_on" < CAST('2025-01-01' AS DATE)
), "ev_session" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "events"."sessions" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."session_start" IS NULL
    AND "src"."session_start" <= '2026-11-01 00:00:00.000000+00:00'
  GROUP BY
    "src"."user_id"
  HAVING
    NOT MIN("src"."session_start") IS NULL
    AND MIN("src"."session_start") < '2026-01-01 00:00:00.000000+00:00'
    AND COALESCE(
      COUNT(*) FILTER(WHERE
        "src"."session_start" >= '2026-09-01 00:00:00.000000+00:00'),
      0
    ) >= 1
), "ev_purchase" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    COUNT(*) AS "n_purchase_4"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."ordered_at" >= '2026-10-31 12:00:00.000000+00:00'
  GROUP BY
    "src"."customer_id"
), "consent" AS (
  SELECT
    "src"."user_id" AS "member_id",
    0 AS "c_ads_personalization_granted",
    CASE
      WHEN (
        MAX(
          CASE
            WHEN "src"."purpose_code" COLLATE "binary" = 'targeted_ads'
            THEN EPOCH_US("src"."changed_at") * 2 + CASE WHEN "src"."state" COLLATE "binary" <> 'opt_in' THEN 1 ELSE 0 END
          END
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
    AND "src"."purpose_code" COLLATE "binary" IN ('targeted_ads', 'email')
    AND "src"."state" COLLATE "binary" IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    "src"."user_id"
  HAVING
    (
      MAX(
        CASE
          WHEN "src"."purpose_code" COLLATE "binary" = 'email'
          THEN EPOCH_US("src"."changed_at") * 2 + CASE WHEN "src"."state" COLLATE "binary" <> 'opt_in' THEN 1 ELSE 0 END
        END
      ) & 1
    ) = 0
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_city" AS "t_city",
    "profiles"."t_signup_date" AS "t_signup_date",
    COALESCE("ev_purchase"."n_purchase_4", 0) AS "n_purchase_4",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
  INNER JOIN "ev_session"
    ON "ev_session"."member_id" = "profiles"."member_id"
  LEFT JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  WHERE
    "profiles"."member_id" IN (
      SELECT
        "src"."user_id"
      FROM "events"."cart_adds" AS "src"
      WHERE
        NOT "src"."user_id" IS NULL
        AND NOT "src"."added_at" IS NULL
        AND "src"."added_at" <= '2026-11-01 00:00:00.000000+00:00'
        AND "src"."added_at" >= '2026-09-02 00:00:00.000000+00:00'
        AND "src"."product_category" COLLATE "binary" = 'shoes'
        AND "src"."unit_price" <= 200
    )
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
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
