-- audience existing_customers | market de | dialect mysql | as_of warehouse current time (UTC) | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`
  FROM (
    SELECT
      UTC_TIMESTAMP(6) AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    `src`.`kunden_id` AS `member_text`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
), `events_shop_bestellungen` AS (
  SELECT
    CAST(`src`.`kunde` AS BINARY) AS `member_id`
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
    `params`.`as_of` AS `as_of`
  FROM `profiles`
  INNER JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
  CROSS JOIN `params`
), `members` AS (
  SELECT
    `member_text` AS `member_id`
  FROM `facts`
)
SELECT
  `member_id`
FROM `members`
