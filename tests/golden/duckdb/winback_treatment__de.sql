-- audience winback_treatment | market de | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    "src"."email" AS "t_email",
    "src"."treuestufe" AS "t_loyalty_tier",
    "src"."ist_mitarbeiter" AS "t_is_employee"
  FROM "crm"."kunden" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
), "ev_purchase" AS (
  SELECT
    "src"."kunde" AS "member_id",
    COUNT(*) AS "n_purchase_1"
  FROM "shop"."bestellungen" AS "src"
  WHERE
    NOT "src"."kunde" IS NULL
    AND NOT "src"."bestellt_am" IS NULL
    AND "src"."bestellt_am" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."bestellt_am" >= '2026-06-01 00:00:00.000000+00:00'
  GROUP BY
    "src"."kunde"
), "ev_page_view" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    COUNT(*) AS "n_page_view_2"
  FROM "web"."ereignisse" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."zeitpunkt" IS NULL
    AND "src"."zeitpunkt" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."zeitpunkt" >= '2026-10-31 23:30:00.000000+00:00'
    AND "src"."ereignis" COLLATE "binary" = 'seitenaufruf'
  GROUP BY
    "src"."kunden_id"
), "packed" AS (
  SELECT
    "member_id",
    BIT_OR("packed_0") AS "packed_0"
  FROM (
    SELECT
      "member_id",
      CASE WHEN "n_purchase_1" >= 1 THEN 1 ELSE 0 END AS "packed_0"
    FROM (
      SELECT
        "ev_purchase"."member_id" AS "member_id",
        COALESCE("ev_purchase"."n_purchase_1", 0) AS "n_purchase_1"
      FROM "ev_purchase"
    ) AS "scan"
    UNION ALL
    SELECT
      "member_id",
      CASE WHEN "n_page_view_2" >= 1 THEN 2 ELSE 0 END AS "packed_0"
    FROM (
      SELECT
        "ev_page_view"."member_id" AS "member_id",
        COALESCE("ev_page_view"."n_page_view_2", 0) AS "n_page_view_2"
      FROM "ev_page_view"
    ) AS "scan"
  ) AS "bits"
  GROUP BY
    "member_id"
), "consent" AS (
  SELECT
    "src"."kunden_id" AS "member_id",
    CASE
      WHEN (
        MAX(
          EPOCH_US("src"."geaendert_am") * 4 + CASE
            WHEN "src"."status" COLLATE "binary" <> 'erteilt'
            THEN 2
            WHEN NOT "src"."bestaetigt_am" IS NULL
            AND "src"."bestaetigt_am" <= '2026-11-01 00:00:00.000000+00:00'
            THEN 1
            ELSE 0
          END
        ) & 3
      ) = 1
      THEN 1
      ELSE 0
    END AS "c_email_marketing_granted",
    CASE
      WHEN (
        MAX(
          EPOCH_US("src"."geaendert_am") * 4 + CASE
            WHEN "src"."status" COLLATE "binary" <> 'erteilt'
            THEN 2
            WHEN NOT "src"."bestaetigt_am" IS NULL
            AND "src"."bestaetigt_am" <= '2026-11-01 00:00:00.000000+00:00'
            THEN 1
            ELSE 0
          END
        ) & 3
      ) = 2
      THEN 1
      ELSE 0
    END AS "c_email_marketing_refused"
  FROM "legal"."einwilligungen" AS "src"
  WHERE
    NOT "src"."kunden_id" IS NULL
    AND NOT "src"."geaendert_am" IS NULL
    AND "src"."geaendert_am" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."zweck" COLLATE "binary" IN ('newsletter')
    AND "src"."status" COLLATE "binary" IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    "src"."kunden_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_email" AS "t_email",
    "profiles"."t_loyalty_tier" AS "t_loyalty_tier",
    "profiles"."t_is_employee" AS "t_is_employee",
    COALESCE("packed"."packed_0", 0) AS "packed_0",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  LEFT JOIN "packed"
    ON "packed"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "aud_newsletter_winback" AS (
  SELECT
    "facts".*,
    CASE
      WHEN "c_email_marketing_granted" = 1
      AND "c_email_marketing_refused" = 0
      AND NOT "t_email" IS NULL
      AND "t_loyalty_tier" IS NULL
      AND NOT (
        "packed_0" & 1
      ) <> 0
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
        OR (
          "packed_0" & 2
        ) <> 0
      )
      AND "c_email_marketing_granted" = 1
      AND "c_email_marketing_refused" = 0
      THEN 1
      ELSE 0
    END AS "in_newsletter_winback"
  FROM "facts"
), "members" AS (
  SELECT
    "member_id"
  FROM "aud_newsletter_winback"
  WHERE
    "in_newsletter_winback" = 1
    AND NOT (
      NOT "member_id" IS NULL
      AND (
        (
          STRPOS(
            '0123456789abcdef',
            SUBSTRING(MD5('winback_2026_q4:' || CAST("member_id" AS TEXT)), 1, 1)
          ) - 1
        ) * 5456 + (
          STRPOS(
            '0123456789abcdef',
            SUBSTRING(MD5('winback_2026_q4:' || CAST("member_id" AS TEXT)), 2, 1)
          ) - 1
        ) * 7216 + (
          STRPOS(
            '0123456789abcdef',
            SUBSTRING(MD5('winback_2026_q4:' || CAST("member_id" AS TEXT)), 3, 1)
          ) - 1
        ) * 8576 + (
          STRPOS(
            '0123456789abcdef',
            SUBSTRING(MD5('winback_2026_q4:' || CAST("member_id" AS TEXT)), 4, 1)
          ) - 1
        ) * 5536 + (
          STRPOS(
            '0123456789abcdef',
            SUBSTRING(MD5('winback_2026_q4:' || CAST("member_id" AS TEXT)), 5, 1)
          ) - 1
        ) * 4096 + (
          STRPOS(
            '0123456789abcdef',
            SUBSTRING(MD5('winback_2026_q4:' || CAST("member_id" AS TEXT)), 6, 1)
          ) - 1
        ) * 256 + (
          STRPOS(
            '0123456789abcdef',
            SUBSTRING(MD5('winback_2026_q4:' || CAST("member_id" AS TEXT)), 7, 1)
          ) - 1
        ) * 16 + (
          STRPOS(
            '0123456789abcdef',
            SUBSTRING(MD5('winback_2026_q4:' || CAST("member_id" AS TEXT)), 8, 1)
          ) - 1
        ) * 1
      ) % 10000 < 1000
    )
    AND "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
)
SELECT
  "member_id"
FROM "members"
