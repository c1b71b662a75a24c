-- audience abandoned_carts | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."country_code" AS "t_country"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND "src"."country_code" COLLATE "binary" IN ('DE', 'AT', 'CH')
), "seq_add_to_cart_1" AS (
  SELECT
    "y"."member_id" AS "member_id",
    COUNT(*) AS "n_seq_add_to_cart_1"
  FROM (
    SELECT
      "src"."user_id" AS "member_id",
      "src"."added_at" AS "t"
    FROM "events"."cart_adds" AS "src"
    WHERE
      NOT "src"."user_id" IS NULL
      AND NOT "src"."added_at" IS NULL
      AND "src"."added_at" <= '2026-11-01 00:00:00.000000+00:00'
      AND "src"."added_at" >= '2026-10-25 00:00:00.000000+00:00'
      AND "src"."added_at" <= '2026-10-31 00:00:00.000000+00:00'
  ) AS "y"
  ASOF LEFT JOIN (
    SELECT
      "src"."customer_id" AS "member_id",
      "src"."ordered_at" AS "t"
    FROM "events"."orders" AS "src"
    WHERE
      NOT "src"."customer_id" IS NULL
      AND NOT "src"."ordered_at" IS NULL
      AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
      AND "src"."ordered_at" >= '2026-10-25 00:00:00.000000+00:00'
  ) AS "z"
    ON "y"."member_id" = "z"."member_id" AND "y"."t" <= "z"."t"
  WHERE
    "z"."t" IS NULL OR "z"."t" - INTERVAL '86400' SECOND > "y"."t"
  GROUP BY
    "y"."member_id"
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
    "profiles"."t_country" AS "t_country",
    COALESCE("seq_add_to_cart_1"."n_seq_add_to_cart_1", 0) AS "n_seq_add_to_cart_1",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
  INNER JOIN "seq_add_to_cart_1"
    ON "seq_add_to_cart_1"."member_id" = "profiles"."member_id"
  LEFT JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    "n_seq_add_to_cart_1" >= 1 AND "c_ads_personalization_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
