-- audience abandoned_carts | market de | dialect mysql | as_of warehouse current time (UTC) | audiencelang 0.1.0
/*M! SET STATEMENT time_zone = '+00:00' FOR */
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`,
    `now`.`as_of` - INTERVAL 86400 SECOND AS `as_of_minus_86400s`,
    `now`.`as_of` - INTERVAL 604800 SECOND AS `as_of_minus_604800s`,
    `now`.`as_of` - INTERVAL 31536000 SECOND AS `as_of_minus_31536000s`
  FROM (
    SELECT
      UTC_TIMESTAMP(6) AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
    `src`.`kunden_id` AS `member_text`,
    `src`.`land` AS `t_country`
  FROM `crm`.`kunden` AS `src`
  WHERE
    NOT `src`.`kunden_id` IS NULL
    AND CAST(`src`.`land` AS BINARY) IN ('DE', 'AT', 'CH')
), `seq_add_to_cart_1` AS (
  SELECT
    `member_id`,
    COUNT(*) AS `n_seq_add_to_cart_1`
  FROM (
    SELECT
      `member_id`,
      `t`,
      `step`,
      MIN(CASE WHEN `step` = 2 THEN `t` END) OVER (
        PARTITION BY `member_id`
        ORDER BY `t` DESC, `step` DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
      ) AS `later`
    FROM (
      SELECT
        CAST(`src`.`kunden_id` AS BINARY) AS `member_id`,
        `src`.`zeitpunkt` AS `t`,
        1 AS `step`
      FROM `web`.`ereignisse` AS `src`
      CROSS JOIN `params`
      WHERE
        NOT `src`.`kunden_id` IS NULL
        AND NOT `src`.`zeitpunkt` IS NULL
        AND `src`.`zeitpunkt` <= `params`.`as_of`
        AND CAST(`src`.`ereignis` AS BINARY) = 'warenkorb'
        AND `src`.`zeitpunkt` >= `params`.`as_of_minus_604800s`
        AND `src`.`zeitpunkt` <= `params`.`as_of_minus_86400s`
      UNION ALL
      SELECT
        CAST(`src`.`kunde` AS BINARY) AS `member_id`,
        `src`.`bestellt_am` AS `t`,
        2 AS `step`
      FROM `shop`.`bestellungen` AS `src`
      CROSS JOIN `params`
      WHERE
        NOT `src`.`kunde` IS NULL
        AND NOT `src`.`bestellt_am` IS NULL
        AND `src`.`bestellt_am` <= `params`.`as_of`
        AND `src`.`bestellt_am` >= `params`.`as_of_minus_604800s`
    ) AS `lvl`
    WHERE
      `step` >= 1
  ) AS `lvl`
  WHERE
    `step` = 1 AND (
      `later` IS NULL OR `later` - INTERVAL 86400 SECOND > `t`
    )
  GROUP BY
    `member_id`
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
    `profiles`.`t_country` AS `t_country`,
    COALESCE(`seq_add_to_cart_1`.`n_seq_add_to_cart_1`, 0) AS `n_seq_add_to_cart_1`,
    COALESCE(`consent`.`c_ads_personalization_granted`, 0) AS `c_ads_personalization_granted`,
    COALESCE(`consent`.`c_ads_personalization_refused`, 0) AS `c_ads_personalization_refused`,
    `params`.`as_of` AS `as_of`,
    `params`.`as_of_minus_86400s` AS `as_of_minus_86400s`,
    `params`.`as_of_minus_604800s` AS `as_of_minus_604800s`,
    `params`.`as_of_minus_31536000s` AS `as_of_minus_31536000s`
  FROM `profiles`
  INNER JOIN `seq_add_to_cart_1`
    ON `seq_add_to_cart_1`.`member_id` = `profiles`.`member_id`
  INNER JOIN `consent`
    ON `consent`.`member_id` = `profiles`.`member_id`
  CROSS JOIN `params`
), `members` AS (
  SELECT
    `member_text` AS `member_id`
  FROM `facts`
  WHERE
    `n_seq_add_to_cart_1` >= 1
    AND `c_ads_personalization_granted` = 1
    AND `c_ads_personalization_refused` = 0
)
SELECT
  `member_id`
FROM `members`
