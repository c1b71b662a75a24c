-- audience cart_abandoners | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."country_code" AS "t_country"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND "src"."country_code" COLLATE "binary" IN ('DE', 'AT', 'CH')
), "ev_purchase" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    COUNT(*) FILTER(WHERE
      "src"."ordered_at" >= '2026-10-25 00:00:00.000000+00:00') AS "n_purchase_2",
    COUNT(*) AS "n_purchase_3"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
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
    "profiles"."t_country" AS "t_country",
    COALESCE("ev_purchase"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("ev_purchase"."n_purchase_3", 0) AS "n_purchase_3",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
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
        AND "src"."added_at" >= '2026-10-25 00:00:00.000000+00:00'
    )
), "aud_existing_customers" AS (
  SELECT
    "facts".*,
    CASE WHEN "n_purchase_3" >= 1 THEN 1 ELSE 0 END AS "in_existing_customers"
  FROM "facts"
), "members" AS (
  SELECT
    "member_id"
  FROM "aud_existing_customers"
  WHERE
    NOT (
      "n_purchase_2" >= 1 OR "in_existing_customers" = 1
    )
    AND "c_ads_personalization_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
