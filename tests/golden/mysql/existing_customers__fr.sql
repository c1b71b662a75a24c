-- audience existing_customers | market fr | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    `src`.`client_id` AS `member_text`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
), `events_suivi_evenements` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`
  FROM `suivi`.`evenements` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND NOT `src`.`horodatage` IS NULL
    AND `src`.`horodatage` <= CAST('2026-11-01 00:00:00.000000' AS DATETIME(6))
    AND CAST(`src`.`type_evenement` AS BINARY) = 'achat'
  GROUP BY
    CAST(`src`.`client_id` AS BINARY)
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`member_text` AS `member_text`
  FROM `profiles`
  INNER JOIN `events_suivi_evenements`
    ON `events_suivi_evenements`.`member_id` = `profiles`.`member_id`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `facts`
  GROUP BY
    `facts`.`member_id`
)
SELECT
  `member_id`
FROM `members`
