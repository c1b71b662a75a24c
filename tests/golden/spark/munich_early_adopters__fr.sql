-- audience munich_early_adopters | market fr | dialect spark | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    `src`.`ville` AS `t_city`,
    `src`.`date_inscription` AS `t_signup_date`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND SUBSTRING(LOWER(`src`.`ville`), 1, 3) = 'mün'
    AND `src`.`date_inscription` < CAST('2025-01-01' AS DATE)
), `events_suivi_evenements` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    COUNT(
      CASE
        WHEN `src`.`type_evenement` = 'achat'
        AND `src`.`horodatage` >= '2026-10-31 12:00:00.000000+00:00'
        THEN 1
      END
    ) AS `n_purchase_4`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= '2026-11-01 00:00:00.000000+00:00'
    AND (
      `src`.`type_evenement` = 'session'
      OR `src`.`type_evenement` = 'ajout_panier'
      OR `src`.`type_evenement` = 'achat'
    )
  GROUP BY
    `src`.`client_id`
  HAVING
    NOT MIN(CASE WHEN `src`.`type_evenement` = 'session' THEN `src`.`horodatage` END) IS NULL
    AND MIN(CASE WHEN `src`.`type_evenement` = 'session' THEN `src`.`horodatage` END) < '2026-01-01 00:00:00.000000+00:00'
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`type_evenement` = 'session'
          AND `src`.`horodatage` >= '2026-09-01 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 1
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`type_evenement` = 'ajout_panier'
          AND `src`.`categorie` = 'shoes'
          AND `src`.`prix` <= 200
          AND `src`.`horodatage` >= '2026-09-02 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 1
), `consent` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
          AND `src`.`statut` = 'accepte'
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
          AND `src`.`statut` IN ('refuse', 'retire')
          THEN `src`.`modifie_le`
        END
      ) = MAX(
        CASE
          WHEN `src`.`finalite` = 'publicite_ciblee'
          AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
          THEN `src`.`modifie_le`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`finalite` = 'lettre_info'
          AND `src`.`statut` = 'accepte'
          AND NOT `src`.`confirme_le` IS NULL
          AND `src`.`confirme_le` <= '2026-11-01 00:00:00.000000+00:00'
          THEN `src`.`modifie_le`
        END
      ) = MAX(CASE WHEN `src`.`finalite` = 'lettre_info' THEN `src`.`modifie_le` END)
      THEN 1
      ELSE 0
    END AS `c_email_marketing_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`finalite` = 'lettre_info' AND `src`.`statut` IN ('refuse', 'retire')
          THEN `src`.`modifie_le`
        END
      ) = MAX(CASE WHEN `src`.`finalite` = 'lettre_info' THEN `src`.`modifie_le` END)
      THEN 1
      ELSE 0
    END AS `c_email_marketing_refused`
  FROM `rgpd`.`consentements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`modifie_le` IS NULL
    AND `src`.`modifie_le` <= '2026-11-01 00:00:00.000000+00:00'
    AND (
      (
        `src`.`finalite` = 'publicite_ciblee'
        AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
      )
      OR `src`.`finalite` = 'lettre_info'
    )
    AND `src`.`statut` IN ('accepte', 'refuse', 'retire')
  GROUP BY
    `src`.`client_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
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
    `member_id`
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
    `member_id`
)
SELECT
  `member_id`
FROM `members`
