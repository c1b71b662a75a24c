-- cart_no_buy_ads, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- Cart adds grouped over 14 days, the ads consent's latest state within a year,
-- the missing order as an anti-join.
WITH cart AS (
  SELECT kunden_id
  FROM web.ereignisse
  WHERE ereignis = 'warenkorb'
    AND zeitpunkt >= TIMESTAMP '2026-10-18 00:00:00'
    AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00'
  GROUP BY kunden_id
  HAVING count(*) >= 2
),
ads AS (
  SELECT kunden_id
  FROM legal.einwilligungen
  WHERE zweck = 'werbung'
    AND geaendert_am >= TIMESTAMP '2025-11-01 00:00:00'
    AND geaendert_am <= TIMESTAMP '2026-11-01 00:00:00'
    AND status IN ('erteilt', 'abgelehnt', 'widerrufen')
  GROUP BY kunden_id
  HAVING max(epoch_us(geaendert_am) * 2 + CASE WHEN status = 'erteilt' THEN 0 ELSE 1 END) % 2 = 0
)
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.kunden_id IN (SELECT kunden_id FROM cart)
  AND p.kunden_id IN (SELECT kunden_id FROM ads)
  AND NOT EXISTS (
    SELECT 1 FROM shop.bestellungen AS b
    WHERE b.kunde = p.kunden_id
      AND b.bestellt_am >= TIMESTAMP '2026-10-18 00:00:00'
      AND b.bestellt_am <= TIMESTAMP '2026-11-01 00:00:00')
