-- audience munich_early_adopters | market fr | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    `src`.`client_id` AS `member_text`,
    `src`.`ville` AS `t_city`,
    `src`.`date_inscription` AS `t_signup_date`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND CAST(SUBSTRING(LOWER(`src`.`ville`), 1, 3) AS BINARY) = 'mün'
    AND `src`.`date_inscription` < CAST('2025-01-01' AS DATE)
), `events_suivi_evenements` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    COUNT(
      CASE
        WHEN CAST(`src`.`type_evenement` AS BINARY) = 'achat'
        AND `src`.`horodatage` >= CAST('2026-10-31 12:00:00.000000' AS DATETIME(6))
        THEN 1
      END
    ) AS `n_purchase_4`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND (
      CAST(`src`.`type_evenement` AS BINARY) = 'session'
      OR CAST(`src`.`type_evenement` AS BINARY) = 'ajout_panier'
      OR CAST(`src`.`type_evenement` AS BINARY) = 'achat'
    )
  GROUP BY
    CAST(`src`.`client_id` AS BINARY)
  HAVING
    NOT MIN(
      CASE
        WHEN CAST(`src`.`type_evenement` AS BINARY) = 'session'
        THEN `src`.`horodatage`
      END
    ) IS NULL
    AND MIN(
      CASE
        WHEN CAST(`src`.`type_evenement` AS BINARY) = 'session'
        THEN `src`.`horodatage`
      END
    ) < CAST('2026-01-01 00:00:00.000000' AS DATETIME(6))
    AND COALESCE(
      COUNT(
        CASE
          WHEN CAST(`src`.`type_evenement` AS BINARY) = 'session'
          AND `src`.`horodatage` >= CAST('2026-09-01 00:00:00.000000' AS DATETIME(6))
          THEN 1
        END
      ),
      0
    ) >= 1
    AND COALESCE(
      COUNT(
        CASE
          WHEN CAST(`src`.`type_evenement` AS BINARY) = 'ajout_panier'
          AND CAST(`src`.`categorie` AS BINARY) = 'shoes'
          AND `src`.`prix` <= 200
          AND `src`.`horodatage` >= CAST('2026-09-02 00:00:00.000000' AS DATETIME(6))
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
          WHEN CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
          AND CAST(`src`.`statut` AS BINARY) = 'accepte'
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
          AND CAST(`src`.`statut` AS BINARY) IN ('refuse', 'retire')
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
          AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`,
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
    AND (
      (
        CAST(`src`.`finalite` AS BINARY) = 'publicite_ciblee'
        AND `src`.`modifie_le` >= CAST('2025-10-02 00:00:00.000000' AS DATETIME(6))
      )
      OR CAST(`src`.`finalite` AS BINARY) = 'lettre_info'
    )
    AND CAST(`src`.`statut` AS BINARY) IN ('accepte', 'refuse', 'retire')
  GROUP BY
    CAST(`src`.`client_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_city` AS `t_city`,
    `profiles`.`t_signup_date` AS `t_signup_date`,
    COALESCE(`events_suivi_evenements`.`n_purchase_4`, 0) AS `n_purchase_4`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`,
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
    NOT (
      (
        NOT `t_signup_date` IS NULL AND `t_signup_date` >= CAST('2026-10-02' AS DATE)
      )
      OR `n_purchase_4` >= 1
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
    AND `c_email_marketing_granted` = 1
    AND `c_email_marketing_refused` = 0
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
