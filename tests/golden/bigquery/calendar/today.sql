-- audience a | market m | dialect bigquery | as_of warehouse current time (UTC) | audiencelang 0.1.0
WITH `params` AS (
  SELECT
    `now`.`as_of` AS `as_of`,
    TIMESTAMP(DATE(`now`.`as_of`, 'Europe/Berlin'), 'Europe/Berlin') AS `cal_day_0`
  FROM (
    SELECT
      CURRENT_TIMESTAMP() AS `as_of`
  ) AS `now`
), `profiles` AS (
  SELECT
    `src`.`id` AS `member_id`
  FROM `people` AS `src`
  WHERE
    NOT `src`.`id` IS NULL
), `events_events` AS (
  SELECT
    `src`.`uid` AS `member_id`
  FROM `events` AS `src`
  CROSS JOIN `params`
  WHERE
    NOT `src`.`uid` IS NULL
    AND NOT `src`.`ts` IS NULL
    AND `src`.`ts` <= `params`.`as_of`
    AND `src`.`ts` >= `params`.`cal_day_0`
  GROUP BY
    `src`.`uid`
), `facts` AS (
  SELECT
    `profiles`.`member_id` AS `member_id`,
    `params`.`as_of` AS `as_of`,
    `params`.`cal_day_0` AS `cal_day_0`
  FROM `profiles`
  INNER JOIN `events_events`
    ON `events_events`.`member_id` = `profiles`.`member_id`
  CROSS JOIN `params`
), `members` AS (
  SELECT
    `member_id`
  FROM `facts`
  GROUP BY
    `member_id`
)
SELECT
  `member_id`
FROM `members`
