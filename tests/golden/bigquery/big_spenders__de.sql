-- audience big_spenders | market de | dialect bigquery | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    `src`.`treuestufe` AS `t_loyalty_tier`,
    `src`.`ist_mitarbeiter` AS `t_is_employee`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL AND `src`.`treuestufe` IN ('gold', 'platinum')
), `events_shop_bestellungen` AS (
  SELECT
    `src`.`kunde` AS `member_id`,
    SUM(
      CASE
        WHEN `src`.`bestellt_am` >= CAST('2026-08-03 00:00:00.000000' AS TIMESTAMP)
        THEN `src`.`umsatz`
      END
    ) AS `sum_purchase_revenue_1`,
    MAX(`src`.`umsatz`) AS `max_purchase_revenue_2`
  FROM `shop`.`bestellungen` AS `src`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    `src`.`kunde`
  HAVING
    COALESCE(COUNT(CASE WHEN `src`.`kanal` = 'web' THEN `src`.`umsatz` END), 0) > 0
    AND COALESCE(SUM(CASE WHEN `src`.`kanal` = 'web' THEN `src`.`umsatz` END), 0) > 40 * COALESCE(COUNT(CASE WHEN `src`.`kanal` = 'web' THEN `src`.`umsatz` END), 0)
    AND NOT MIN(
      CASE
        WHEN `src`.`bestellt_am` >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
        THEN `src`.`umsatz`
      END
    ) IS NULL
    AND MIN(
      CASE
        WHEN `src`.`bestellt_am` >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
        THEN `src`.`umsatz`
      END
    ) >= 10
    AND COALESCE(COUNT(*), 0) >= 2
    AND COALESCE(COUNT(*), 0) <= 50
), `consent` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
          AND `src`.`status` = 'erteilt'
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
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
          AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
          AND `src`.`status` IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
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
    AND `src`.`geaendert_am` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`zweck` = 'werbung'
    AND `src`.`geaendert_am` >= CAST('2025-11-01 00:00:00.000000' AS TIMESTAMP)
    AND `src`.`status` IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    `src`.`kunden_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`t_loyalty_tier` AS `t_loyalty_tier`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    COALESCE(`events_shop_bestellungen`.`sum_purchase_revenue_1`, 0) AS `sum_purchase_revenue_1`,
    `events_shop_bestellungen`.`max_purchase_revenue_2` AS `max_purchase_revenue_2`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`
  FROM `profiles`
  INNER JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_id`
  FROM `facts`
  WHERE
    (
      `sum_purchase_revenue_1` >= 500
      OR (
        NOT `max_purchase_revenue_2` IS NULL AND `max_purchase_revenue_2` > 1000
      )
    )
    AND NOT (
      NOT `t_is_employee` IS NULL AND `t_is_employee` = TRUE
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
)
SELECT
  `member_id`
FROM `members`
