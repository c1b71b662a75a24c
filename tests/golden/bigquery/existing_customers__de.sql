-- audience existing_customers | market de | dialect bigquery | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
WITH `profiles` AS (
  SELECT
    `src`.`kunden_id` AS `member_id`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
), `events_shop_bestellungen` AS (
  SELECT
    `src`.`kunde` AS `member_id`
  FROM `shop`.`bestellungen` AS `src`
  WHERE
    NOT `src`.`kunde` IS NULL
    AND NOT `src`.`bestellt_am` IS NULL
    AND `src`.`bestellt_am` <= CAST('2026-11-01 00:00:00.000000' AS TIMESTAMP)
  GROUP BY
    `src`.`kunde`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`
  FROM `profiles`
  INNER JOIN `events_shop_bestellungen`
    ON `events_shop_bestellungen`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    `member_id`
  FROM `facts`
)
SELECT
  `member_id`
FROM `members`
