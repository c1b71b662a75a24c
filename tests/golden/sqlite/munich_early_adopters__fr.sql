-- audience munich_early_adopters | market fr | dialect sqlite | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."ville" AS "t_city",
    "src"."date_inscription" AS "t_signup_date"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
), "events_suivi_evenements" AS (
  SELECT
    "src"."client_id" AS "member_id",
    MIN(
      CASE
        WHEN "src"."type_evenement" COLLATE "BINARY" = 'session'
        THEN "src"."horodatage"
      END
    ) AS "min_session_started_at_1",
    COUNT(
      CASE
        WHEN "src"."type_evenement" COLLATE "BINARY" = 'session'
        AND "src"."horodatage" >= '2026-09-01 00:00:00'
        THEN 1
      END
    ) AS "n_session_2",
    COUNT(
      CASE
        WHEN "src"."type_evenement" COLLATE "BINARY" = 'ajout_panier'
        AND "src"."categorie" COLLATE "BINARY" = 'shoes'
        AND "src"."prix" <= 200
        AND "src"."horodatage" >= '2026-09-02 00:00:00'
        THEN 1
      END
    ) AS "n_add_to_cart_3",
    COUNT(
      CASE
        WHEN "src"."type_evenement" COLLATE "BINARY" = 'achat'
        AND "src"."horodatage" >= '2026-10-31 12:00:00'
        THEN 1
      END
    ) AS "n_purchase_4"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00'
    AND (
      "src"."type_evenement" COLLATE "BINARY" = 'session'
      OR "src"."type_evenement" COLLATE "BINARY" = 'ajout_panier'
      OR "src"."type_evenement" COLLATE "BINARY" = 'achat'
    )
  GROUP BY
    "src"."client_id"
), "consent" AS (
  SELECT
    "src"."client_id" AS "member_id",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."finalite" COLLATE "BINARY" = 'publicite_ciblee'
          AND "src"."modifie_le" >= '2025-10-02 00:00:00'
          AND "src"."statut" COLLATE "BINARY" = 'accepte'
          THEN "src"."modifie_le"
        END
      ) = MAX(
        CASE
          WHEN "src"."finalite" COLLATE "BINARY" = 'publicite_ciblee'
          AND "src"."modifie_le" >= '2025-10-02 00:00:00'
          THEN "src"."modifie_le"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_granted",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."finalite" COLLATE "BINARY" = 'publicite_ciblee'
          AND "src"."modifie_le" >= '2025-10-02 00:00:00'
          AND "src"."statut" COLLATE "BINARY" IN ('refuse', 'retire')
          THEN "src"."modifie_le"
        END
      ) = MAX(
        CASE
          WHEN "src"."finalite" COLLATE "BINARY" = 'publicite_ciblee'
          AND "src"."modifie_le" >= '2025-10-02 00:00:00'
          THEN "src"."modifie_le"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_ads_personalization_refused",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."finalite" COLLATE "BINARY" = 'lettre_info'
          AND "src"."statut" COLLATE "BINARY" = 'accepte'
          AND NOT "src"."confirme_le" IS NULL
          AND "src"."confirme_le" <= '2026-11-01 00:00:00'
          THEN "src"."modifie_le"
        END
      ) = MAX(
        CASE
          WHEN "src"."finalite" COLLATE "BINARY" = 'lettre_info'
          THEN "src"."modifie_le"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_email_marketing_granted",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."finalite" COLLATE "BINARY" = 'lettre_info'
          AND "src"."statut" COLLATE "BINARY" IN ('refuse', 'retire')
          THEN "src"."modifie_le"
        END
      ) = MAX(
        CASE
          WHEN "src"."finalite" COLLATE "BINARY" = 'lettre_info'
          THEN "src"."modifie_le"
        END
      )
      THEN 1
      ELSE 0
    END AS "c_email_marketing_refused"
  FROM "rgpd"."consentements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."modifie_le" IS NULL
    AND "src"."modifie_le" <= '2026-11-01 00:00:00'
    AND (
      (
        "src"."finalite" COLLATE "BINARY" = 'publicite_ciblee'
        AND "src"."modifie_le" >= '2025-10-02 00:00:00'
      )
      OR "src"."finalite" COLLATE "BINARY" = 'lettre_info'
    )
    AND "src"."statut" COLLATE "BINARY" IN ('accepte', 'refuse', 'retire')
  GROUP BY
    "src"."client_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_city" AS "t_city",
    "profiles"."t_signup_date" AS "t_signup_date",
    "events_suivi_evenements"."min_session_started_at_1" AS "min_session_started_at_1",
    COALESCE("events_suivi_evenements"."n_session_2", 0) AS "n_session_2",
    COALESCE("events_suivi_evenements"."n_add_to_cart_3", 0) AS "n_add_to_cart_3",
    COALESCE("events_suivi_evenements"."n_purchase_4", 0) AS "n_purchase_4",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  LEFT JOIN "events_suivi_evenements"
    ON "events_suivi_evenements"."member_id" = "profiles"."member_id"
  LEFT JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
  LIMIT -1
  OFFSET 0
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    SUBSTR(LOWER("t_city"), 1, 3) COLLATE "BINARY" = 'mün'
    AND "t_signup_date" < '2025-01-01'
    AND NOT "min_session_started_at_1" IS NULL
    AND "min_session_started_at_1" < '2026-01-01 00:00:00'
    AND "n_session_2" >= 1
    AND "n_add_to_cart_3" >= 1
    AND NOT (
      (
        NOT "t_signup_date" IS NULL AND "t_signup_date" >= '2026-10-02'
      )
      OR "n_purchase_4" >= 1
    )
    AND "c_ads_personalization_granted" = 1
    AND "c_ads_personalization_refused" = 0
    AND "c_email_marketing_granted" = 1
    AND "c_email_marketing_refused" = 0
)
SELECT
  "member_id"
FROM "members"
