-- audience cart_abandoners | market fr | dialect clickhouse | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."pays" AS "t_country"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT (
      "src"."client_id" IS NULL
    )
), "events_suivi_evenements" AS (
  SELECT
    "src"."client_id" AS "member_id",
    COUNT(
      CASE
        WHEN "src"."type_evenement" = 'ajout_panier'
        AND "src"."horodatage" >= CAST('2026-10-25 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
        THEN 1
      END
    ) AS "n_add_to_cart_1",
    COUNT(
      CASE
        WHEN "src"."type_evenement" = 'achat'
        AND "src"."horodatage" >= CAST('2026-10-25 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
        THEN 1
      END
    ) AS "n_purchase_2",
    COUNT(CASE WHEN "src"."type_evenement" = 'achat' THEN 1 END) AS "n_purchase_3"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT (
      "src"."client_id" IS NULL
    )
    AND NOT (
      "src"."horodatage" IS NULL
    )
    AND "src"."horodatage" <= CAST('2026-11-01 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
    AND (
      "src"."type_evenement" = 'ajout_panier' OR "src"."type_evenement" = 'achat'
    )
  GROUP BY
    "src"."client_id"
), "consent_rows" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."finalite" AS "purpose",
    "src"."statut" AS "status",
    "src"."modifie_le" AS "changed_at",
    "src"."confirme_le" AS "confirmed_at",
    MAX("src"."modifie_le") OVER (PARTITION BY "src"."client_id", "src"."finalite") AS "latest_at"
  FROM "rgpd"."consentements" AS "src"
  WHERE
    NOT (
      "src"."client_id" IS NULL
    )
    AND NOT (
      "src"."modifie_le" IS NULL
    )
    AND "src"."modifie_le" <= CAST('2026-11-01 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
    AND "src"."finalite" IN ('publicite_ciblee', 'lettre_info')
    AND "src"."statut" IN ('accepte', 'refuse', 'retire')
), "consent" AS (
  SELECT
    "consent_rows"."member_id" AS "member_id",
    MAX(
      CASE
        WHEN "consent_rows"."purpose" = 'publicite_ciblee'
        AND "consent_rows"."status" = 'accepte'
        AND "consent_rows"."changed_at" >= CAST('2025-10-02 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
        THEN 1
        ELSE 0
      END
    ) AS "c_ads_personalization_granted",
    MAX(
      CASE
        WHEN "consent_rows"."purpose" = 'publicite_ciblee'
        AND "consent_rows"."status" IN ('refuse', 'retire')
        THEN 1
        ELSE 0
      END
    ) AS "c_ads_personalization_refused",
    MAX(
      CASE
        WHEN "consent_rows"."purpose" = 'lettre_info'
        AND "consent_rows"."status" = 'accepte'
        AND NOT (
          "consent_rows"."confirmed_at" IS NULL
        )
        AND "consent_rows"."confirmed_at" <= CAST('2026-11-01 00:00:00.000000' AS Nullable(DateTime64(6, 'UTC')))
        THEN 1
        ELSE 0
      END
    ) AS "c_email_marketing_granted",
    MAX(
      CASE
        WHEN "consent_rows"."purpose" = 'lettre_info'
        AND "consent_rows"."status" IN ('refuse', 'retire')
        THEN 1
        ELSE 0
      END
    ) AS "c_email_marketing_refused"
  FROM "consent_rows"
  WHERE
    "consent_rows"."changed_at" = "consent_rows"."latest_at"
  GROUP BY
    "consent_rows"."member_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_country" AS "t_country",
    COALESCE("events_suivi_evenements"."n_add_to_cart_1", 0) AS "n_add_to_cart_1",
    COALESCE("events_suivi_evenements"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("events_suivi_evenements"."n_purchase_3", 0) AS "n_purchase_3",
    COALESCE("consent"."c_ads_personalization_granted", 0) AS "c_ads_personalization_granted",
    COALESCE("consent"."c_ads_personalization_refused", 0) AS "c_ads_personalization_refused",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  LEFT JOIN "events_suivi_evenements"
    ON "events_suivi_evenements"."member_id" = "profiles"."member_id"
  LEFT JOIN "consent"
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
    "n_add_to_cart_1" >= 1
    AND "t_country" IN ('DE', 'AT', 'CH')
    AND NOT (
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
