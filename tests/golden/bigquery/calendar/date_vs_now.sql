-- audience a | market m | dialect bigquery | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`,
    TIMESTAMP_SUB(`now`.`as_of`, INTERVAL 3456000 SECOND) AS `as_of_minus_3456000s`
  FROM (
    SELECT
      CURRENT_TIMESTAMP() AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    `src`.`id` AS `member_id`,
    `src`.`signup` AS `t_signup`
  FROM `people` AS `src`
  WHERE
    NOT `src`.`id` IS NULL
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `profiles`.`t_signup` AS `t_signup`,
    `params`.`as_of` AS `as_of`,
    `params`.`as_of_minus_3456000s` AS `as_of_minus_3456000s`
  FROM `profiles`
  CROSS JOIN `params`
), `members` AS (
  SELECT
    `member_id`
  FROM `facts`
  WHERE
    TIMESTAMP(`t_signup`, 'Europe/Berlin') >= `as_of_minus_3456000s`
    AND TIMESTAMP(`t_signup`, 'Europe/Berlin') <= `as_of`
  GROUP BY
    `member_id`
)
SELECT
  `member_id`
FROM `members`
