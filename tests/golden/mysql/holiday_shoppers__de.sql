-- audience holiday_shoppers | market de | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    `src`.`kunden_id` AS `member_text`,
    `src`.`angemeldet_am` AS `t_signup_date`,
    `src`.`alter` AS `t_age`,
    `src`.`land` AS `t_country`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND `src`.`angemeldet_am` < CAST('2025-11-01' AS DATE)
), `events_shop_bestellungen` AS (
  SELECT
    CAST(`src`.`kunde` AS BINARY) AS `member_id`,
    COUNT(
      CASE
        WHEN `src`.`umsatz` < 5
        AND CAST(`src`.`kanal` AS BINARY) <> 'store'
        AND `src`.`bestellt_am` >= CAST('2026-09-30 23:00:00.000000' AS DATETIME(6))
        THEN 1
      END
    ) AS `n_purchase_2`
  FROM `shop`.`bestellungen` AS `src`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND `src`.`bestellt_am` >= CAST('2025-11-24 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`kunde` AS BINARY)
  HAVING
    COALESCE(
      COUNT(
        CASE
          WHEN (
            LOCATE('blackfriday', CAST(LOWER(`src`.`gutschein`) AS BINARY)) > 0
            OR CAST(`src`.`gutschein` AS BINARY) = '50%_off'
          )
          AND `src`.`bestellt_am` >= CAST('2025-11-24 00:00:00.000000' AS DATETIME(6))
          AND `src`.`bestellt_am` < CAST('2026-01-01 00:00:00.000000' AS DATETIME(6))
          THEN 1
        END
      ),
      0
    ) >= 1
), `consent` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'werbung'
          AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS DATETIME(6))
          AND CAST(`src`.`status` AS BINARY) = 'erteilt'
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'werbung'
          AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS DATETIME(6))
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'werbung'
          AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS DATETIME(6))
          AND CAST(`src`.`status` AS BINARY) IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'werbung'
          AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS DATETIME(6))
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
    AND `src`.`geaendert_am` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`zweck` AS BINARY) = 'werbung'
    AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`status` AS BINARY) IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    CAST(`src`.`kunden_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_signup_date` AS `t_signup_date`,
    `profiles`.`t_age` AS `t_age`,
    `profiles`.`t_country` AS `t_country`,
    COALESCE(`events_shop_bestellungen`.`n_purchase_2`, 0) AS `n_purchase_2`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`
  FROM `profiles`
  INNER JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_text` AS `member_id`
  FROM `facts`
  WHERE
    (
      (
        `t_age` >= 25 AND `t_age` <= 54
      ) OR `t_age` IS NULL
    )
    AND NOT (
      (
        NOT `t_country` IS NULL
        AND NOT CAST(`t_country` AS BINARY) IN ('DE', 'AT', 'CH', 'US', 'CA', 'FR', 'BE', 'LU')
      )
      OR `n_purchase_2` >= 1
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
)
SELECT
  `member_id`
FROM `members`
