-- audience engaged_browsers | market de | dialect databricks | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
), `events_web_ereignisse` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    COUNT(
      CASE
        WHEN `src`.`ereignis` = 'warenkorb'
        AND `src`.`zeitpunkt` >= '2026-10-30 00:00:00.000000+00:00'
        THEN 1
      END
    ) AS `n_add_to_cart_6`
  FROM `web`.`ereignisse` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`zeitpunkt` IS NULL
    AND `src`.`zeitpunkt` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`zeitpunkt` >= '2026-10-02 00:00:00.000000+00:00'
    AND (
      `src`.`ereignis` = 'seitenaufruf'
      OR `src`.`ereignis` = 'sitzung'
      OR `src`.`ereignis` = 'warenkorb'
    )
  GROUP BY
    `src`.`kunden_id`
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN `src`.`ereignis` = 'seitenaufruf'
          AND `src`.`zeitpunkt` >= '2026-10-25 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 5
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`ereignis` = 'sitzung'
          AND `src`.`zeitpunkt` >= '2026-10-02 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 5
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`ereignis` = 'seitenaufruf'
          AND SUBSTRING(`src`.`pfad`, 1, 5) = '/sale'
          AND `src`.`zeitpunkt` >= '2026-10-18 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) >= 3
    AND COALESCE(
      COUNT(
        CASE
          WHEN `src`.`ereignis` = 'warenkorb'
          AND `src`.`zeitpunkt` >= '2026-10-02 00:00:00.000000+00:00'
          THEN 1
        END
      ),
      0
    ) <= 2
), `events_shop_bestellungen` AS (
  SELECT
    `src`.`kunde` AS `member_id`,
    COUNT(*) AS `n_purchase_5`
  FROM `shop`.`bestellungen` AS `src`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`bestellt_am` >= '2026-10-02 00:00:00.000000+00:00'
  GROUP BY
    `src`.`kunde`
), `consent` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          AND `src`.`status` = 'erteilt'
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          AND `src`.`status` IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`
  FROM `legal`.`einwilligungen` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`geaendert_am` IS NULL
    AND `src`.`geaendert_am` <= '2026-11-01 00:00:00.000000+00:00'
    AND `src`.`zweck` = 'werbung'
    AND `src`.`geaendert_am` >= '2025-11-01 00:00:00.000000+00:00'
    AND `src`.`status` IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    `src`.`kunden_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    COALESCE(`events_web_ereignisse`.`n_add_to_cart_6`, 0) AS `n_add_to_cart_6`,
    COALESCE(`events_shop_bestellungen`.`n_purchase_5`, 0) AS `n_purchase_5`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`
  FROM `profiles`
  INNER JOIN `events_web_ereignisse`
    ON `events_web_ereignisse`.`member_id` = `profiles`.`member_id`
  LEFT JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
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
)
SELECT
  `member_id`
FROM `members`
