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
      "src"."horodatage" >= '2026-10-25 00:00:00.000000+00:00') AS "n_purchase_2",
    COUNT(*) AS "n_purchase_3"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."type_evenement" COLLATE "binary" = 'achat'
  GROUP BY
    "src"."client_id"
), "consent" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "rgpd"."consentements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."modifie_le" IS NULL
    AND "src"."modifie_le" <= '2026-11-01 00:00:00.000000+00:00'
    AND (
      (
        "src"."finalite" COLLATE "binary" = 'publicite_ciblee'
        AND "src"."modifie_le" >= '2025-10-02 00:00:00.000000+00:00'
      )
      OR "src"."finalite" COLLATE "binary" = 'lettre_info'
    )
    AND "src"."statut" COLLATE "binary" IN ('accepte', 'refuse', 'retire')
  GROUP BY
    "src"."client_id"
  HAVING
    (
      MAX(
        CASE
          WHEN "src"."finalite" COLLATE "binary" = 'publicite_ciblee'
          AND "src"."modifie_le" >= '2025-10-02 00:00:00.000000+00:00'
          THEN EPOCH_US("src"."modifie_le") * 2 + CASE WHEN "src"."statut" COLLATE "binary" <> 'accepte' THEN 1 ELSE 0 END
        END
      ) & 1
    ) = 0
    AND (
      MAX(
        CASE
          WHEN "src"."finalite" COLLATE "binary" = 'lettre_info'
          THEN EPOCH_US("src"."modifie_le") * 4 + CASE
            WHEN "src"."statut" COLLATE "binary" <> 'accepte'
            THEN 2
            WHEN NOT "src"."confirme_le" IS NULL
            AND "src"."confirme_le" <= '2026-11-01 00:00:00.000000+00:00'
            THEN 1
            ELSE 0
          END
        END
      ) & 3
    ) = 1
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    "profiles"."t_country" AS "t_country",
    COALESCE("ev_purchase"."n_purchase_2", 0) AS "n_purchase_2",
    COALESCE("ev_purchase"."n_purchase_3", 0) AS "n_purchase_3"
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
        AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
        AND "src"."horodatage" >= '2026-10-25 00:00:00.000000+00:00'
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
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
