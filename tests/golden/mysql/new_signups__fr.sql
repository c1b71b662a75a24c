-- audience new_signups | market fr | dialect mysql | as_of 2026-11-01T00:00:00Z | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `profiles` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    `src`.`client_id` AS `member_text`,
    `src`.`date_inscription` AS `t_signup_date`,
    `src`.`age` AS `t_age`,
    `src`.`est_salarie` AS `t_is_employee`
  FROM `crm`.`clients` AS `src`
  WHERE
    NOT `src`.`client_id` IS NULL
    AND `src`.`date_inscription` >= CAST('2026-10-02' AS DATE)
    AND `src`.`date_inscription` <= CAST('2026-11-01' AS DATE)
    AND `src`.`age` >= 18
), `events_suivi_evenements` AS (
  SELECT
    CAST(`src`.`client_id` AS BINARY) AS `member_id`,
    COUNT(*) AS `n_purchase_1`
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
    `profiles`.`member_text` AS `member_text`,
    `profiles`.`t_signup_date` AS `t_signup_date`,
    `profiles`.`t_age` AS `t_age`,
    `profiles`.`t_is_employee` AS `t_is_employee`,
    COALESCE(`events_suivi_evenements`.`n_purchase_1`, 0) AS `n_purchase_1`
  FROM `profiles`
  LEFT JOIN `events_suivi_evenements`
    ON `events_suivi_evenements`.`member_id` = `profiles`.`member_id`
), `aud_existing_customers` AS (
  SELECT
    `facts`.*,
    CASE WHEN `n_purchase_1` >= 1 THEN 1 ELSE 0 END AS `in_existing_customers`
  FROM `facts`
), `members` AS (
  SELECT
    MIN(`member_text`) AS `member_id`
  FROM `aud_existing_customers`
  WHERE
    NOT `in_existing_customers` = 1
    AND NOT (
      NOT `t_is_employee` IS NULL AND `t_is_employee` = TRUE
    )
  GROUP BY
    `aud_existing_customers`.`member_id`
)
SELECT
  `member_id`
FROM `members`
