-- audience existing_customers | market de | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
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
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
  GROUP BY
    CAST(`src`.`kunde` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`
  FROM `profiles`
  INNER JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_text` AS `member_id`
  FROM `facts`
)
SELECT
  `member_id`
FROM `members`
