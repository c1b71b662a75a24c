-- audience engaged_browsers | market fr | dialect spark | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`client_id` AS `member_id`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
), `events_suivi_evenements` AS (
  SELECT
    `src`.`client_id` AS `member_id`,
    COUNT(
      CASE
        WHEN `src`.`type_evenement` = 'achat'
        AND `src`.`horodatage` >= '2026-10-02 00:00:00.000000+00:00'
        THEN 1
      END
    ) AS `n_purchase_5`,
    COUNT(
      CASE
        WHEN `src`.`type_evenement` = 'ajout_panier'
        AND `src`.`horodatage` >= '2026-10-30 00:00:00.000000+00:00'
        THEN 1
      END
    ) AS `n_add_to_cart_6`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`horodatage` >= '2026-10-02 00:00:00.000000+00:00'
    AND (
      `src`.`type_evenement` = 'vue_page'
      OR `src`.`type_evenement` = 'session'
      OR `src`.`type_evenement` = 'ajout_panier'
      OR `src`.`type_evenement` = 'achat'
    )
  GROUP BY
    `src`.`client_id`
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN `src`.`type_evenement` = 'vue_page'
          AND `src`.`horodatage` >= '2026-10-25 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 5
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`type_evenement` = 'session'
          AND `src`.`horodatage` >= '2026-10-02 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 5
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`type_evenement` = 'vue_page'
          AND SUBSTRING(`src`.`chemin`, 1, 5) = '/sale'
          AND `src`.`horodatage` >= '2026-10-18 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 3
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`type_evenement` = 'ajout_panier'
          AND `src`.`horodatage` >= '2026-10-02 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) <= 2
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
    END AS `c_ads_personalization_refused`
  FROM `rgpd`.`consentements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`modifie_le` IS NULL
    AND `src`.`modifie_le` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`finalite` = 'publicite_ciblee'
    AND `src`.`modifie_le` >= '2025-10-02 00:00:00.000000+00:00'
    AND `src`.`statut` IN ('accepte', 'refuse', 'retire')
  GROUP BY
    `src`.`client_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    COALESCE(`events_suivi_evenements`.`n_purchase_5`, 0) AS `n_purchase_5`,
    COALESCE(`events_suivi_evenements`.`n_add_to_cart_6`, 0) AS `n_add_to_cart_6`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`
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
      `n_purchase_5` >= 1 OR `n_add_to_cart_6` >= 5
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
  GROUP BY
    `member_id`
)
SELECT
  `member_id`
FROM `members`
