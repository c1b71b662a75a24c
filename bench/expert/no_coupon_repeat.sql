-- no_coupon_repeat, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- Full-price orders grouped over a year; "at most 5 cart adds" holds without
-- cart adds, so it is the absence of 6 or more.
WITH o AS (
  SELECT kunde
  FROM shop.bestellungen
  WHERE gutschein IS NULL
    AND bestellt_am >= TIMESTAMP '2025-11-01 00:00:00'
    AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING count(*) >= 2
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunde FROM o)
  AND p.kunden_id NOT IN (
    SELECT kunden_id FROM web.ereignisse
    WHERE kunden_id IS NOT NULL
      AND ereignis = 'warenkorb'
      AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
      AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
    GROUP BY kunden_id
    HAVING count(*) > 5)
