-- avg_basket_light_browse, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- Orders grouped over a year (the average compared exactly as sum > 150 * count);
-- "at most 20 page views" as the absence of 21 or more.
WITH o AS (
  SELECT kunde
  FROM shop.bestellungen
  WHERE bestellt_am >= TIMESTAMP '2025-11-01 00:00:00'
    AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING count(umsatz) > 0
     AND sum(umsatz) > 150 * count(umsatz)
     AND count(*) >= 2
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunde FROM o)
  AND p.kunden_id NOT IN (
    SELECT kunden_id FROM web.ereignisse
    WHERE kunden_id IS NOT NULL
      AND ereignis = 'seitenaufruf'
      AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
      AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
    GROUP BY kunden_id
    HAVING count(*) > 20)
