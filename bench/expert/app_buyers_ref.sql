-- app_buyers_ref (references bench_customers), hand-optimised for DuckDB
-- (as_of 2026-11-01T00:00:00Z). Two app orders in 90 days imply "bought ever";
-- the age first, the missing cart add as an anti-join.
WITH o AS (
  SELECT kunde
  FROM shop.bestellungen
  WHERE kanal = 'app'
    AND bestellt_am >= TIMESTAMP '2026-08-03 00:00:00'
    AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING count(*) >= 2
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.alter BETWEEN 25 AND 45
  AND p.kunden_id IN (SELECT kunde FROM o)
  AND NOT EXISTS (
    SELECT 1 FROM web.ereignisse AS w
    WHERE w.kunden_id = p.kunden_id
      AND w.ereignis = 'warenkorb'
      AND w.zeitpunkt >= TIMESTAMP '2026-10-25 00:00:00'
      AND w.zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00')
