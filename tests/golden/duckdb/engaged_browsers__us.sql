-- audience engaged_browsers | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
), "ev_page_view" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "events"."pageviews" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."viewed_at" IS NULL
    AND "src"."viewed_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."viewed_at" >= '2026-10-18 00:00:00.000000+00:00'
  GROUP BY
    "src"."user_id"
  HAVING
    COALESCE(
      COUNT(*) FILTER(WHERE
        "src"."viewed_at" >= '2026-10-25 00:00:00.000000+00:00'),
      0
    ) >= 5
    AND COALESCE(
      COUNT(*) FILTER(WHERE
        SUBSTRING("src"."url_path", 1, 5) COLLATE "binary" = '/sale'
        AND "src"."viewed_at" >= '2026-10-18 00:00:00.000000+00:00'),
      0
    ) >= 3
), "ev_session" AS (
  SELECT
    "src"."user_id" AS "member_id"
  FROM "events"."sessions" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."session_start" IS NULL
    AND "src"."session_start" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."session_start" >= '2026-10-02 00:00:00.000000+00:00'
  GROUP BY
    "src"."user_id"
  HAVING
    COALESCE(COUNT(*), 0) >= 5
), "ev_add_to_cart" AS (
  SELECT
    "src"."user_id" AS "member_id",
    COUNT(*) AS "n_add_to_cart_4",
    COUNT(*) FILTER(WHERE
      "src"."added_at" >= '2026-10-30 00:00:00.000000+00:00') AS "n_add_to_cart_6"
  FROM "events"."cart_adds" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."added_at" IS NULL
    AND "src"."added_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."added_at" >= '2026-10-02 00:00:00.000000+00:00'
  GROUP BY
    "src"."user_id"
), "ev_purchase" AS (
  SELECT
    "src"."customer_id" AS "member_id",
    COUNT(*) AS "n_purchase_5"
  FROM "events"."orders" AS "src"
  WHERE
    NOT "src"."customer_id" IS NULL
    AND NOT "src"."ordered_at" IS NULL
    AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."ordered_at" >= '2026-10-02 00:00:00.000000+00:00'
  GROUP BY
    "src"."customer_id"
), "packed" AS (
  SELECT
    "member_id",
    BIT_OR("packed_0") AS "packed_0"
  FROM (
    SELECT
      "member_id",
      CASE WHEN "n_add_to_cart_4" <= 2 THEN 0 ELSE 1 END + CASE WHEN "n_add_to_cart_6" >= 5 THEN 2 ELSE 0 END AS "packed_0"
    FROM (
      SELECT
        "ev_add_to_cart"."member_id" AS "member_id",
        COALESCE("ev_add_to_cart"."n_add_to_cart_4", 0) AS "n_add_to_cart_4",
        COALESCE("ev_add_to_cart"."n_add_to_cart_6", 0) AS "n_add_to_cart_6"
      FROM "ev_add_to_cart"
    ) AS "scan"
    UNION ALL
    SELECT
      "member_id",
      CASE WHEN "n_purchase_5" >= 1 THEN 4 ELSE 0 END AS "packed_0"
    FROM (
      SELECT
        "ev_purchase"."member_id" AS "member_id",
        COALESCE("ev_purchase"."n_purchase_5", 0) AS "n_purchase_5"
      FROM "ev_purchase"
    ) AS "scan"
  ) AS "bits"
  GROUP BY
    "member_id"
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
    COALESCE("packed"."packed_0", 0) AS "packed_0",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused"
  FROM "profiles"
  INNER JOIN "ev_page_view"
    ON "ev_page_view"."member_id" = "profiles"."member_id"
  INNER JOIN "ev_session"
    ON "ev_session"."member_id" = "profiles"."member_id"
  LEFT JOIN "packed"
    ON "packed"."member_id" = "profiles"."member_id"
  LEFT JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    (
      "packed_0" & 1
    ) = 0
    AND NOT (
      "packed_0" & 6
    ) <> 0
    AND "c_ads_personalization_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
