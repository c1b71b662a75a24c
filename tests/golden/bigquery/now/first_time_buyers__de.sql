-- audience first_time_buyers | market de | dialect bigquery | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`,
    TIMESTAMP_SUB(`now`.`as_of`, INTERVAL 2592000 SECOND) AS `as_of_minus_2592000s`
  FROM (
    SELECT
      CURRENT_TIMESTAMP() AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
), `events_shop_bestellungen` AS (
  SELECT
    `src`.`kunde` AS `member_id`
  FROM `shop`.`bestellungen` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= `params`.`as_of`
  GROUP BY
    `src`.`kunde`
  HAVING
    COALESCE(COUNT(*), 0) = 1
    AND COALESCE(
      COUNT(CASE WHEN `src`.`bestellt_am` >= `params`.`as_of_minus_2592000s` THEN 1 END),
      0
    ) >= 1
), `consent` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'newsletter'
          AND `src`.`status` = 'erteilt'
          AND NOT `src`.`bestaetigt_am` IS NULL
          AND `src`.`bestaetigt_am` <= `params`.`as_of`
          THEN `src`.`geaendert_am`
        END
      ) = MAX(CASE WHEN `src`.`zweck` = 'newsletter' THEN `src`.`geaendert_am` END)
      THEN 1
      ELSE 0
    END AS `c_email_marketing_granted`,
    CASE
      WHEN MAX(
        CASE
          WHEN `src`.`zweck` = 'newsletter' AND `src`.`status` IN ('abgelehnt', 'widerrufen')
          THEN `src`.`geaendert_am`
        END
      ) = MAX(CASE WHEN `src`.`zweck` = 'newsletter' THEN `src`.`geaendert_am` END)
      THEN 1
      ELSE 0
    END AS `c_email_marketing_refused`
  FROM `legal`.`einwilligungen` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND NOT `src`.`geaendert_am` IS NULL
    AND `src`.`geaendert_am` <= `params`.`as_of`
    AND `src`.`zweck` IN ('newsletter')
    AND `src`.`status` IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY
    `src`.`kunden_id`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    COALESCE(`consent`.`c_email_marketing_granted`, 0) AS `c_email_marketing_granted`,
    COALESCE(`consent`.`c_email_marketing_refused`, 0) AS `c_email_marketing_refused`,
    `params`.`as_of` AS `as_of`,
    `params`.`as_of_minus_2592000s` AS `as_of_minus_2592000s`
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
    `c_email_marketing_granted` = 1 AND `c_email_marketing_refused` = 0
)
SELECT
  `member_id`
FROM `members`
