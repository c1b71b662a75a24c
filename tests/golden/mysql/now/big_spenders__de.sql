-- audience big_spenders | market de | dialect mysql | as_of warehouse current time (UTC) | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`,
    `now`.`as_of` - INTERVAL 7776000 SECOND AS `as_of_minus_7776000s`,
    `now`.`as_of` - INTERVAL 31536000 SECOND AS `as_of_minus_31536000s`
  FROM (
    SELECT
      UTC_TIMESTAMP(6) AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    `src`.`kunden_id` AS `member_text`,
    `src`.`treuestufe` AS `t_loyalty_tier`,
    `src`.`ist_mitarbeiter` AS `t_is_employee`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND CAST(`src`.`treuestufe` AS BINARY) IN ('gold', 'platinum')
), `events_shop_bestellungen` AS (
  SELECT
    CAST(`src`.`kunde` AS BINARY) AS `member_id`,
    SUM(
      CASE
        WHEN `src`.`bestellt_am` >= `params`.`as_of_minus_7776000s`
        THEN `src`.`umsatz`
      END
    ) AS `sum_purchase_revenue_1`,
    MAX(`src`.`umsatz`) AS `max_purchase_revenue_2`
  FROM `shop`.`bestellungen` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= `params`.`as_of`
  GROUP BY
    CAST(`src`.`kunde` AS BINARY)
  HAVING
    COALESCE(COUNT(CASE WHEN CAST(`src`.`kanal` AS BINARY) = 'web' THEN `src`.`umsatz` END), 0) > 0
    AND COALESCE(SUM(CASE WHEN CAST(`src`.`kanal` AS BINARY) = 'web' THEN `src`.`umsatz` END), 0) > 40 * COALESCE(COUNT(CASE WHEN CAST(`src`.`kanal` AS BINARY) = 'web' THEN `src`.`umsatz` END), 0)
    AND NOT MIN(
      CASE
        WHEN `src`.`bestellt_am` >= `params`.`as_of_minus_31536000s`
        THEN `src`.`umsatz`
      END
    ) IS NULL
    AND MIN(
      CASE
        WHEN `src`.`bestellt_am` >= `params`.`as_of_minus_31536000s`
        THEN `src`.`umsatz`
      END
    ) >= 10
    AND COALESCE(COUNT(*), 0) >= 2
    AND COALESCE(COUNT(*), 0) <= 50
), `consent` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'werbung'
          AND `src`.`geaendert_am` >= `params`.`as_of_minus_31536000s`
          AND CAST(`src`.`status` AS BINARY) = 'erteilt'
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'werbung'
          AND `src`.`geaendert_am` >= `params`.`as_of_minus_31536000s`
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
          AND `src`.`geaendert_am` >= `params`.`as_of_minus_31536000s`
          AND CAST(`src`.`status` AS BINARY) IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN CAST(`src`.`zweck` AS BINARY) = 'werbung'
          AND `src`.`geaendert_am` >= `params`.`as_of_minus_31536000s`
          THEN `src`.`geaendert_am`
        END
      )
      THEN 1
      ELSE 0
    END AS `c_ads_personalization_refused`
  FROM `legal`.`einwilligungen` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`geaendert_am` IS NULL
    AND `src`.`geaendert_am` <= `params`.`as_of`
    AND CAST(`src`.`zweck` AS BINARY) = 'werbung'
    AND `src`.`geaendert_am` >= `params`.`as_of_minus_31536000s`
    AND CAST(`src`.`status` AS BINARY) IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    CAST(`src`.`kunden_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_loyalty_tier` AS `t_loyalty_tier`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    COALESCE(`events_shop_bestellungen`.`sum_purchase_revenue_1`, 0) AS `sum_purchase_revenue_1`,
    `events_shop_bestellungen`.`max_purchase_revenue_2` AS `max_purchase_revenue_2`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`,
    `params`.`as_of` AS `as_of`,
    `params`.`as_of_minus_7776000s` AS `as_of_minus_7776000s`,
    `params`.`as_of_minus_31536000s` AS `as_of_minus_31536000s`
  FROM `profiles`
  INNER JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
  CROSS JOIN `params`
), `members` AS (
  SELECT
    `member_text` AS `member_id`
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
