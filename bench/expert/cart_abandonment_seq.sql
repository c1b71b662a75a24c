-- cart_abandonment_seq, hand-written for DuckDB (as_of 2026-11-01T00:00:00Z): for each cart
-- whose day has passed, the earliest purchase at or after it (ASOF join); abandoned when
-- there is none within the day.
WITH carts AS (
  SELECT kunden_id AS u, zeitpunkt AS t FROM web.ereignisse
  WHERE ereignis = 'warenkorb' AND kunden_id IS NOT NULL
    AND zeitpunkt >= TIMESTAMP '2026-10-25 00:00:00' AND zeitpunkt <= TIMESTAMP '2026-10-31 00:00:00'
), buys AS (
  SELECT kunde AS u, bestellt_am AS t FROM shop.bestellungen
  WHERE kunde IS NOT NULL
    AND bestellt_am >= TIMESTAMP '2026-10-25 00:00:00' AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
), abandoned AS (
  SELECT DISTINCT c.u FROM carts AS c ASOF LEFT JOIN buys AS b ON c.u = b.u AND b.t >= c.t
  WHERE b.t IS NULL OR b.t > c.t + INTERVAL 1 DAY
)
SELECT kunden_id AS member_id FROM crm.kunden WHERE kunden_id IN (SELECT u FROM abandoned)
