-- audience cart_abandoners | market fr | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    `src`.`client_id` AS `member_text`,
    `src`.`pays` AS `t_country`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND CAST(`src`.`pays` AS BINARY) IN ('DE', 'AT', 'CH')
), `events_suivi_evenements` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    COUNT(
      CASE
        WHEN CAST(`src`.`type_evenement` AS BINARY) = 'achat'
        AND `src`.`horodatage` >= CAST('2026-10-25 00:00:00.000000' AS DATETIME(6))
        THEN 1
      END
    ) AS `n_purchase_2`,
    COUNT(CASE WHEN CAST(`src`.`type_evenement` AS BINARY) = 'achat' THEN 1 END) AS `n_purchase_3`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND (
      CAST(`src`.`type_evenement` AS BINARY) = 'ajout_panier'
      OR CAST(`src`.`type_evenement` AS BINARY) = 'achat'
    )
  GROUP BY
    CAST(`src`.`client_id` AS BINARY)
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN CAST(`src`.`type_evenement` AS BINARY) = 'ajout_panier'
          AND `src`.`horodatage` >= CAST('2026-10-25 00:00:00.000000' AS DATETIME(6))
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
    `profiles`.`t_country` AS `t_country`,
    COALESCE(`events_suivi_evenements`.`n_purchase_2`, 0) AS `n_purchase_2`,
    COALESCE(`events_suivi_evenements`.`n_purchase_3`, 0) AS `n_purchase_3`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`
  FROM `profiles`
  INNER JOIN `events_suivi_evenements`
    ON `events_suivi_evenements`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `aud_existing_customers` AS (
  SELECT
    `facts`.*,
    CASE WHEN `n_purchase_3` >= 1 THEN 1 ELSE 0 END AS `in_existing_customers`
  FROM `facts`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `aud_existing_customers`
  WHERE
    NOT (
      `n_purchase_2` >= 1 OR `in_existing_customers` = 1
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
    AND `c_email_marketing_granted` = 1
    AND `c_email_marketing_refused` = 0
  GROUP BY
    `aud_existing_customers`.`member_id`
)
SELECT
  `member_id`
FROM `members`
