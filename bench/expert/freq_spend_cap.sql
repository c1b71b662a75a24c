-- freq_spend_cap, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- Two grouped passes (30 days of page views, 90 days of orders) and one join: the
-- spend test needs an order, so "at most 3 orders" is a HAVING of the same group.
WITH web AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis = 'seitenaufruf'
    AND zeitpunkt >= TIMESTAMP '2026-10-02 00:00:00'
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) >= 5
),
orders AS (
  SELECT kunde
  FROM shop.bestellungen
  WHERE bestellt_am >= TIMESTAMP '2026-08-03 00:00:00'
    AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunde
  HAVING sum(umsatz) >= 200 AND count(*) <= 3
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
JOIN web ON web.kunden_id = p.kunden_id
JOIN orders ON orders.kunde = p.kunden_id
