-- audience munich_early_adopters | market fr | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id",
    "src"."ville" AS "t_city",
    "src"."date_inscription" AS "t_signup_date"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND SUBSTRING(LOWER("src"."ville"), 1, 3) COLLATE "binary" = 'mün'
    AND "src"."date_inscription" < CAST('2025-01-01' AS DATE)
), "ev_session" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."type_evenement" COLLATE "binary" = 'session'
  GROUP BY
    "src"."client_id"
  HAVING
    NOT MIN("src"."horodatage") IS NULL
    AND MIN("src"."horodatage") < '2026-01-01 00:00:00.000000+00:00'
    AND COALESCE(
      COUNT(*) FILTER(WHERE
        "src"."horodatage" >= '2026-09-01 00:00:00.000000+00:00'),
      0
    ) >= 1
), "ev_purchase" AS (
  SELECT
    "src"."client_id" AS "member_id",
    COUNT(*) AS "n_purchase_4"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."horodatage" >= '2026-10-31 12:00:00.000000+00:00'
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
    "profiles"."t_city" AS "t_city",
    "profiles"."t_signup_date" AS "t_signup_date",
    COALESCE("ev_purchase"."n_purchase_4", 0) AS "n_purchase_4"
  FROM "profiles"
  INNER JOIN "ev_session"
    ON "ev_session"."member_id" = "profiles"."member_id"
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
        AND "src"."horodatage" >= '2026-09-02 00:00:00.000000+00:00'
        AND "src"."type_evenement" COLLATE "binary" = 'ajout_panier'
        AND "src"."categorie" COLLATE "binary" = 'shoes'
        AND "src"."prix" <= 200
    )
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    NOT (
      (
        NOT "t_signup_date" IS NULL AND "t_signup_date" >= CAST('2026-10-02' AS DATE)
      )
      OR "n_purchase_4" >= 1
    )
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
