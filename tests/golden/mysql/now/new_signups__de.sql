-- audience new_signups | market de | dialect mysql | as_of warehouse current time (UTC) | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`,
    `now`.`as_of` - INTERVAL 2592000 SECOND AS `as_of_minus_2592000s`
  FROM (
    SELECT
      UTC_TIMESTAMP(6) AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    `src`.`kunden_id` AS `member_text`,
    `src`.`angemeldet_am` AS `t_signup_date`,
    `src`.`alter` AS `t_age`,
    `src`.`ist_mitarbeiter` AS `t_is_employee`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL AND `src`.`alter` >= 18
), `events_shop_bestellungen` AS (
  SELECT
    CAST(`src`.`kunde` AS BINARY) AS `member_id`,
    COUNT(*) AS `n_purchase_1`
  FROM `shop`.`bestellungen` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= `params`.`as_of`
  GROUP BY
    CAST(`src`.`kunde` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_signup_date` AS `t_signup_date`,
    `profiles`.`t_age` AS `t_age`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    COALESCE(`events_shop_bestellungen`.`n_purchase_1`, 0) AS `n_purchase_1`,
    `params`.`as_of` AS `as_of`,
    `params`.`as_of_minus_2592000s` AS `as_of_minus_2592000s`
  FROM `profiles`
  LEFT JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
  CROSS JOIN `params`
), `aud_existing_customers` AS (
  SELECT
    `facts`.*,
    CASE WHEN `n_purchase_1` >= 1 THEN 1 ELSE 0 END AS `in_existing_customers`
  FROM `facts`
), `members` AS (
  SELECT
    `member_text` AS `member_id`
  FROM `aud_existing_customers`
  WHERE
    CAST(`t_signup_date` AS DATETIME(6)) >= `as_of_minus_2592000s`
    AND CAST(`t_signup_date` AS DATETIME(6)) <= `as_of`
    AND NOT `in_existing_customers` = 1
    AND NOT (
      NOT `t_is_employee` IS NULL AND `t_is_employee` = TRUE
    )
)
SELECT
  `member_id`
FROM `members`
