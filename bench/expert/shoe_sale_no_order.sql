-- shoe_sale_no_order, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- Both web conditions from one pass over 30 days of cart adds and page views;
-- "exactly 0 orders" as an anti-join.
WITH web AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis IN ('warenkorb', 'seitenaufruf')
    AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) FILTER (WHERE ereignis = 'warenkorb' AND kategorie = 'shoes') >= 2
     AND count(*) FILTER (WHERE ereignis = 'seitenaufruf' AND starts_with(pfad, '/sale')) >= 1
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunden_id FROM web)
  AND NOT EXISTS (
    SELECT 1 FROM shop.bestellungen AS b
    WHERE b.kunde = p.kunden_id
      AND b.bestellt_am >= TIMESTAMP '2026-10-02 00:00:00'
      AND b.bestellt_am <= TIMESTAMP '2026-11-01 00:00:00')
