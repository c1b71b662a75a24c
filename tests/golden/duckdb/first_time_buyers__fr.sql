-- audience first_time_buyers | market fr | dialect duckdb | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
), "ev_purchase" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."type_evenement" COLLATE "binary" = 'achat'
  GROUP BY
    "src"."client_id"
  HAVING
    COALESCE(COUNT(*), 0) = 1
    AND COALESCE(
      COUNT(*) FILTER(WHERE
        "src"."horodatage" >= '2026-10-02 00:00:00.000000+00:00'),
      0
    ) >= 1
), "consent" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "rgpd"."consentements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."modifie_le" IS NULL
    AND "src"."modifie_le" <= '2026-11-01 00:00:00.000000+00:00'
    AND "src"."finalite" COLLATE "binary" IN ('lettre_info')
    AND "src"."statut" COLLATE "binary" IN ('accepte', 'refuse', 'retire')
  GROUP BY
    "src"."client_id"
  HAVING
    (
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
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id"
  FROM "profiles"
  INNER JOIN "ev_purchase"
    ON "ev_purchase"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
