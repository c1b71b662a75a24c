-- audience newsletter_winback | market fr | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."courriel" AS "t_email",
    "src"."niveau_fidelite" AS "t_loyalty_tier",
    "src"."est_salarie" AS "t_is_employee"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."courriel" IS NULL
    AND "src"."niveau_fidelite" IS NULL
), "ev_page_view" AS (
  SELECT
    "src"."client_id" AS "member_id",
    COUNT(*) AS "n_page_view_2"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."horodatage" >= '2026-10-31 23:30:00.000000+00:00'
    AND "src"."type_evenement" COLLATE "binary" = 'vue_page'
  GROUP BY
    "src"."client_id"
), "consent" AS (
  SELECT
    "src"."client_id" AS "member_id",
    CASE
      WHEN (
        MAX(
          EPOCH_US("src"."modifie_le") * 4 + CASE
            WHEN "src"."statut" COLLATE "binary" <> 'accepte'
            THEN 2
            WHEN NOT "src"."confirme_le" IS NULL
            AND "src"."confirme_le" <= '2026-11-01 00:00:00.000000+00:00'
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
          EPOCH_US("src"."modifie_le") * 4 + CASE
            WHEN "src"."statut" COLLATE "binary" <> 'accepte'
            THEN 2
            WHEN NOT "src"."confirme_le" IS NULL
            AND "src"."confirme_le" <= '2026-11-01 00:00:00.000000+00:00'
            THEN 1
            ELSE 0
          END
        ) & 3
      ) = 2
      THEN 1
      ELSE 0
    END AS "c_email_marketing_refused"
  FROM "rgpd"."consentements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."modifie_le" IS NULL
    AND "src"."modifie_le" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."finalite" COLLATE "binary" IN ('lettre_info')
    AND "src"."statut" COLLATE "binary" IN ('accepte', 'refuse', 'retire')
  GROUP BY
    "src"."client_id"
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
      FROM "suivi"."evenements" AS "src"
      WHERE
        "src"."client_id" = "profiles"."member_id"
        AND NOT "src"."client_id" IS NULL
        AND NOT "src"."horodatage" IS NULL
        AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
        AND "src"."horodatage" >= '2026-06-01 00:00:00.000000+00:00'
        AND "src"."type_evenement" COLLATE "binary" = 'achat'
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
