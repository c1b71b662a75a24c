-- audience lapsed_high_value | market de | dialect spark | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`,
    `now`.`as_of` - 1209600000000 AS `as_of_minus_1209600s`,
    `now`.`as_of` - 7776000000000 AS `as_of_minus_7776000s`,
    `now`.`as_of` - 31536000000000 AS `as_of_minus_31536000s`
  FROM (
    SELECT
      UNIX_MICROS(CURRENT_TIMESTAMP()) AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    `src`.`clv` AS `t_lifetime_value`,
    `src`.`ist_mitarbeiter` AS `t_is_employee`,
    `src`.`letzter_login` AS `t_last_login_at`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL AND `src`.`clv` >= 500
), `events_shop_bestellungen` AS (
  SELECT
    `src`.`kunde` AS `member_id`,
    COUNT(
      CASE
        WHEN CASE
          WHEN TYPEOF(`src`.`bestellt_am`) = 'timestamp'
          THEN UNIX_MICROS(`src`.`bestellt_am`)
          ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`bestellt_am`)
        END >= `params`.`as_of_minus_7776000s`
        THEN 1
      END
    ) AS `n_purchase_2`
  FROM `shop`.`bestellungen` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND CASE
      WHEN TYPEOF(`src`.`bestellt_am`) = 'timestamp'
      THEN UNIX_MICROS(`src`.`bestellt_am`)
      ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`bestellt_am`)
    END <= `params`.`as_of`
    AND CASE
      WHEN TYPEOF(`src`.`bestellt_am`) = 'timestamp'
      THEN UNIX_MICROS(`src`.`bestellt_am`)
      ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`bestellt_am`)
    END >= `params`.`as_of_minus_31536000s`
  GROUP BY
    `src`.`kunde`
  HAVING
    COALESCE(COUNT(*), 0) >= 3
), `consent` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND CASE
            WHEN TYPEOF(`src`.`geaendert_am`) = 'timestamp'
            THEN UNIX_MICROS(`src`.`geaendert_am`)
            ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`geaendert_am`)
          END >= `params`.`as_of_minus_31536000s`
          AND `src`.`status` = 'erteilt'
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND CASE
            WHEN TYPEOF(`src`.`geaendert_am`) = 'timestamp'
            THEN UNIX_MICROS(`src`.`geaendert_am`)
            ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`geaendert_am`)
          END >= `params`.`as_of_minus_31536000s`
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
          AND CASE
            WHEN TYPEOF(`src`.`geaendert_am`) = 'timestamp'
            THEN UNIX_MICROS(`src`.`geaendert_am`)
            ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`geaendert_am`)
          END >= `params`.`as_of_minus_31536000s`
          AND `src`.`status` IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(
        CASE
          WHEN `src`.`zweck` = 'werbung'
          AND CASE
            WHEN TYPEOF(`src`.`geaendert_am`) = 'timestamp'
            THEN UNIX_MICROS(`src`.`geaendert_am`)
            ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`geaendert_am`)
          END >= `params`.`as_of_minus_31536000s`
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
    AND CASE
      WHEN TYPEOF(`src`.`geaendert_am`) = 'timestamp'
      THEN UNIX_MICROS(`src`.`geaendert_am`)
      ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`geaendert_am`)
    END <= `params`.`as_of`
    AND `src`.`zweck` = 'werbung'
    AND CASE
      WHEN TYPEOF(`src`.`geaendert_am`) = 'timestamp'
      THEN UNIX_MICROS(`src`.`geaendert_am`)
      ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `src`.`geaendert_am`)
    END >= `params`.`as_of_minus_31536000s`
    AND `src`.`status` IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    `src`.`kunden_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`t_lifetime_value` AS `t_lifetime_value`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    `profiles`.`t_last_login_at` AS `t_last_login_at`,
    COALESCE(`events_shop_bestellungen`.`n_purchase_2`, 0) AS `n_purchase_2`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`,
    `params`.`as_of` AS `as_of`,
    `params`.`as_of_minus_1209600s` AS `as_of_minus_1209600s`,
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
    `member_id`
  FROM `facts`
  WHERE
    NOT `n_purchase_2` >= 1
    AND NOT (
      (
        NOT `t_is_employee` IS NULL AND `t_is_employee` = TRUE
      )
      OR (
        NOT `t_last_login_at` IS NULL
        AND CASE
          WHEN TYPEOF(`t_last_login_at`) = 'timestamp'
          THEN UNIX_MICROS(`t_last_login_at`)
          ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `t_last_login_at`)
        END >= `as_of_minus_1209600s`
        AND NOT `t_last_login_at` IS NULL
        AND CASE
          WHEN TYPEOF(`t_last_login_at`) = 'timestamp'
          THEN UNIX_MICROS(`t_last_login_at`)
          ELSE TIMESTAMPDIFF(MICROSECOND, CAST('1970-01-01 00:00:00' AS TIMESTAMP_NTZ), `t_last_login_at`)
        END <= `as_of`
      )
    )
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
)
SELECT
  `member_id`
FROM `members`
