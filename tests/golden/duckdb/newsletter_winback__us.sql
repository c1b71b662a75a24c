-- audience newsletter_winback | market us | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."user_id" AS "member_id",
    "src"."email_address" AS "t_email",
    "src"."rewards_tier" AS "t_loyalty_tier",
    "src"."employee_flag" AS "t_is_employee"
  FROM "analytics"."users" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."email_address" IS NULL
    AND "src"."rewards_tier" IS NULL
), "ev_page_view" AS (
  SELECT
    "src"."user_id" AS "member_id",
    COUNT(*) AS "n_page_view_2"
  FROM "events"."pageviews" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."viewed_at" IS NULL
    AND "src"."viewed_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."viewed_at" >= '2026-10-31 23:30:00.000000+00:00'
  GROUP BY
    "src"."user_id"
), "consent" AS (
  SELECT
    "src"."user_id" AS "member_id",
    CASE
      WHEN (
        MAX(
          EPOCH_US("src"."changed_at") * 2 + CASE WHEN "src"."state" COLLATE "binary" <> 'opt_in' THEN 1 ELSE 0 END
        ) & 1
      ) = 0
      THEN 1
      ELSE 0
    END AS "c_email_marketing_granted",
    CASE
      WHEN (
        MAX(
          EPOCH_US("src"."changed_at") * 2 + CASE WHEN "src"."state" COLLATE "binary" <> 'opt_in' THEN 1 ELSE 0 END
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END AS "c_email_marketing_refused"
  FROM "privacy"."consent_log" AS "src"
  WHERE
    NOT "src"."user_id" IS NULL
    AND NOT "src"."changed_at" IS NULL
    AND "src"."changed_at" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."purpose_code" COLLATE "binary" IN ('email')
    AND "src"."state" COLLATE "binary" IN ('opt_in', 'opt_out', 'withdrawn')
  GROUP BY
    "src"."user_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_email" AS "t_email",
    "profiles"."t_loyalty_tier" AS "t_loyalty_tier",
    "profiles"."t_is_employee" AS "t_is_employee",
    COALESCE("ev_page_view"."n_page_view_2", 0) AS "n_page_view_2",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  LEFT JOIN "ev_page_view"
    ON "ev_page_view"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  WHERE
    NOT EXISTS(
      SELECT
        1
      FROM "events"."orders" AS "src"
      WHERE
        "src"."customer_id" = "profiles"."member_id"
        AND NOT "src"."customer_id" IS NULL
        AND NOT "src"."ordered_at" IS NULL
        AND "src"."ordered_at" <= '2026-11-01 00:00:00.000000+00:00'
        AND "src"."ordered_at" >= '2026-06-01 00:00:00.000000+00:00'
    )
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
    AND NOT (
      (
        NOT "t_email" IS NULL
        AND LENGTH(LOWER("t_email")) >= 17
        AND SUBSTRING(LOWER("t_email"), LENGTH(LOWER("t_email")) - 16, 17) COLLATE "binary" = '@example-corp.com'
      )
      OR (
        NOT "t_email" IS NULL
        AND STRPOS((
          LOWER("t_email") COLLATE "binary"
        ), '+test') > 0
      )
      OR (
        NOT "t_is_employee" IS NULL AND "t_is_employee" <> FALSE
      )
      OR "n_page_view_2" >= 1
    )
    AND "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
