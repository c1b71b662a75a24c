-- audience cart_abandoners | market fr | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."pays" AS "t_country"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND "src"."pays" COLLATE "binary" IN ('DE', 'AT', 'CH')
), "ev_purchase" AS (
  SELECT
    "src"."client_id" AS "member_id",
    COUNT(*) FILTER(WHERE
      "src"."horodatage" >= CAST('2026-10-25 00:00:00.000000' AS TIMESTAMP)) AS "n_purchase_2",
    COUNT(*) AS "n_purchase_3"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND "src"."type_evenement" COLLATE "binary" = 'achat'
  GROUP BY
    "src"."client_id"
), "consent" AS (
  SELECT
    "src"."client_id" AS "member_id",
    CASE
      WHEN (
        MAX(
          CASE
            WHEN "src"."finalite" COLLATE "binary" = 'publicite_ciblee'
            AND "src"."modifie_le" >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP)
            THEN EPOCH_US("src"."modifie_le") * 2 + CASE WHEN "src"."statut" COLLATE "binary" IN ('refuse', 'retire') THEN 1 ELSE 0 END
          END
        ) & 1
      ) = 0
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_granted",
    CASE
      WHEN (
        MAX(
          CASE
            WHEN "src"."finalite" COLLATE "binary" = 'publicite_ciblee'
            AND "src"."modifie_le" >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP)
            THEN EPOCH_US("src"."modifie_le") * 2 + CASE WHEN "src"."statut" COLLATE "binary" IN ('refuse', 'retire') THEN 1 ELSE 0 END
          END
        ) & 1
      ) = 1
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_refused",
    CASE
      WHEN (
        MAX(
          CASE
            WHEN "src"."finalite" COLLATE "binary" = 'lettre_info'
            THEN EPOCH_US("src"."modifie_le") * 4 + CASE
              WHEN "src"."statut" COLLATE "binary" IN ('refuse', 'retire')
              THEN 2
              WHEN NOT "src"."confirme_le" IS NULL
              AND "src"."confirme_le" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
              THEN 1
              ELSE 0
            END
          END
        ) & 3
      ) = 1
      THEN 1
      ELSE 0
    END AS "c_email_marketing_granted",
    CASE
      WHEN (
        MAX(
          CASE
            WHEN "src"."finalite" COLLATE "binary" = 'lettre_info'
            THEN EPOCH_US("src"."modifie_le") * 4 + CASE
              WHEN "src"."statut" COLLATE "binary" IN ('refuse', 'retire')
              THEN 2
              WHEN NOT "src"."confirme_le" IS NULL
              AND "src"."confirme_le" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
              THEN 1
              ELSE 0
            END
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
    AND "src"."modifie_le" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND (
      (
        "src"."finalite" COLLATE "binary" = 'publicite_ciblee'
        AND "src"."modifie_le" >= CAST('2025-10-02 00:00:00.000000' AS TIMESTAMP)
      )
      OR "src"."finalite" COLLATE "binary" = 'lettre_info'
    )
    AND "src"."statut" COLLATE "binary" IN ('accepte', 'refuse', 'retire')
  GROUP BY
    "src"."client_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_country" AS "t_country",
    COALESCE("ev_purchase"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("ev_purchase"."n_purchase_3", 0) AS "n_purchase_3",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  LEFT JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  WHERE
    "profiles"."member_id" IN (
      SELECT
        "src"."client_id"
      FROM "suivi"."evenements" AS "src"
      WHERE
        NOT "src"."client_id" IS NULL
        AND NOT "src"."horodatage" IS NULL
        AND "src"."horodatage" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
        AND "src"."horodatage" >= CAST('2026-10-25 00:00:00.000000' AS TIMESTAMP)
        AND "src"."type_evenement" COLLATE "binary" = 'ajout_panier'
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
    AND "c_ads_personalization_granted" = 1
    AND "c_ads_personalization_refused" = 0
    AND "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
)
SELECT
  "member_id"
FROM "members"
