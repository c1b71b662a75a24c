-- frequency_capped, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- One pass over 30 days of web events. The exclusion "3+ cart adds in 48 hours"
-- can never hold for someone with at most 2 cart adds in 30 days, so it is dropped.
WITH web AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis IN ('seitenaufruf', 'sitzung', 'warenkorb')
    AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) FILTER (WHERE ereignis = 'seitenaufruf'
                          AND zeitpunkt >= TIMESTAMP '2026-10-25 00:00:00') >= 3
     AND count(*) FILTER (WHERE ereignis = 'sitzung') >= 2
     AND count(*) FILTER (WHERE ereignis = 'warenkorb') <= 2
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunden_id FROM web)
  AND NOT EXISTS (
    SELECT 1 FROM shop.bestellungen AS b
    WHERE b.kunde = p.kunden_id
      AND b.bestellt_am >= TIMESTAMP '2026-10-02 00:00:00'
      AND b.bestellt_am <= TIMESTAMP '2026-11-01 00:00:00')
