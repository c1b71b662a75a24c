-- audience first_time_buyers | market fr | dialect trino | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH "profiles" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "crm"."clients" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
), "events_suivi_evenements" AS (
  SELECT
    "src"."client_id" AS "member_id"
  FROM "suivi"."evenements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."horodatage" IS NULL
    AND "src"."horodatage" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP(6))
    AND "src"."type_evenement" = 'achat'
  GROUP BY
    "src"."client_id"
  HAVING
    COALESCE(COUNT(*), 0) = 1
    AND COALESCE(
      COUNT(
        CASE
          WHEN "src"."type_evenement" = 'achat'
          AND "src"."horodatage" >= CAST('2026-10-02 00:00:00.000000' AS TIMESTAMP(6))
          THEN 1
        END
      ),
      0
    ) >= 1
), "consent" AS (
  SELECT
    "src"."client_id" AS "member_id",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."finalite" = 'lettre_info'
          AND "src"."statut" = 'accepte'
          AND NOT "src"."confirme_le" IS NULL
          AND "src"."confirme_le" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP(6))
          THEN "src"."modifie_le"
        END
      ) = MAX(CASE WHEN "src"."finalite" = 'lettre_info' THEN "src"."modifie_le" END)
      THEN 1
      ELSE 0
    END AS "c_email_marketing_granted",
    CASE
      WHEN MAX(
        CASE
          WHEN "src"."finalite" = 'lettre_info' AND "src"."statut" IN ('refuse', 'retire')
          THEN "src"."modifie_le"
        END
      ) = MAX(CASE WHEN "src"."finalite" = 'lettre_info' THEN "src"."modifie_le" END)
      THEN 1
      ELSE 0
    END AS "c_email_marketing_refused"
  FROM "rgpd"."consentements" AS "src"
  WHERE
    NOT "src"."client_id" IS NULL
    AND NOT "src"."modifie_le" IS NULL
    AND "src"."modifie_le" <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP(6))
    AND "src"."finalite" IN ('lettre_info')
    AND "src"."statut" IN ('accepte', 'refuse', 'retire')
  GROUP BY
    "src"."client_id"
), "facts" AS (
  SELECT
    "profiles"."member_id" AS "member_id",
    COALESCE("consent"."c_email_marketing_granted", 0) AS "c_email_marketing_granted",
    COALESCE("consent"."c_email_marketing_refused", 0) AS "c_email_marketing_refused"
  FROM "profiles"
  INNER JOIN "events_suivi_evenements"
    ON "events_suivi_evenements"."member_id" = "profiles"."member_id"
  INNER JOIN "consent"
    ON "consent"."member_id" = "profiles"."member_id"
), "members" AS (
  SELECT
    "member_id"
  FROM "facts"
  WHERE
    "c_email_marketing_granted" = 1 AND "c_email_marketing_refused" = 0
  GROUP BY
    "member_id"
)
SELECT
  "member_id"
FROM "members"
