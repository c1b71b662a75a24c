-- audience cart_abandoners | market us | dialect clickhouse | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."country_code" AS "t_country"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT (
      "src"."user_id" IS NULL
    ) AND "src"."country_code" IN ('DE', 'AT', 'CH')
), "events_events_cart_adds" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "events"."cart_adds" AS "src"
  WHERE
    NOT (
      "src"."user_id" IS NULL
    )
    AND NOT (
      "src"."added_at" IS NULL
    )
    AND "src"."added_at" <= CAST('2026-11-01 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
    AND "src"."added_at" >= CAST('2026-10-25 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
  GROUP BY
    "src"."user_id"
), "events_events_orders" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    COUNT(
      CASE
        WHEN "src"."ordered_at" >= CAST('2026-10-25 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
        THEN 1
      END
    ) AS "n_purchase_2",
    COUNT(*) AS "n_purchase_3"
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
    NOT (
      "src"."user_id" IS NULL
    )
    AND NOT (
      "src"."changed_at" IS NULL
    )
    AND "src"."changed_at" <= CAST('2026-11-01 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
    AND "src"."purpose_code" IN ('targeted_ads', 'email')
    AND "src"."state" IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    "src"."user_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_country" AS "t_country",
    COALESCE("events_events_orders"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("events_events_orders"."n_purchase_3", 0) AS "n_purchase_3",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  INNER JOIN "events_events_cart_adds"
    ON "events_events_cart_adds"."member_id" = "profiles"."member_id"
  LEFT JOIN "events_events_orders"
    ON "events_events_orders"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
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
    AND "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
