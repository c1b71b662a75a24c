-- audience first_time_buyers | market fr | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    `src`.`client_id` AS `member_text`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
), `events_suivi_evenements` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`type_evenement` AS BINARY) = 'achat'
  GROUP BY
    CAST(`src`.`client_id` AS BINARY)
  HAVING
    COALESCE(COUNT(*), 0) = 1
    AND COALESCE(
      COUNT(
        CASE
          WHEN CAST(`src`.`type_evenement` AS BINARY) = 'achat'
          AND `src`.`horodatage` >= CAST('2026-10-02 00:00:00.000000' AS DATETIME(6))
          THEN 1
        END
      ),
      0
    ) >= 1
), `consent` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'lettre_info'
          AND CAST(`src`.`statut` AS BINARY) = 'accepte'
          AND NOT `src`.`confirme_le` IS NULL
          AND `src`.`confirme_le` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'lettre_info'
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_email_marketing_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'lettre_info'
          AND CAST(`src`.`statut` AS BINARY) IN ('refuse', 'retire')
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'lettre_info'
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_email_marketing_refused`
  FROM `rgpd`.`consentements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`modifie_le` IS NULL
    AND `src`.`modifie_le` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`finalite` AS BINARY) IN ('lettre_info')
    AND CAST(`src`.`statut` AS BINARY) IN ('accepte', 'refuse', 'retire')
  GROUP BY
    CAST(`src`.`client_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`
  FROM `profiles`
  INNER JOIN `events_suivi_evenements`
    ON `events_suivi_evenements`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `facts`
  WHERE
    `c_email_marketing_granted` = 1 AND `c_email_marketing_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
