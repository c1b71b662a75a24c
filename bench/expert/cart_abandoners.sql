-- cart_abandoners, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- Consent 'werbung' is opt-in with max_age_days 365: a latest row older than
-- as_of - 365 days never holds, so only rows inside that year need reading; the
-- latest row wins and a refusal wins a tie (low bit of the packed key).
WITH ads AS (
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
WHERE p.land IN ('DE', 'AT', 'CH')
  AND p.kunden_id IN (
    SELECT kunden_id FROM web.ereignisse
    WHERE ereignis = 'warenkorb'
      AND zeitpunkt >= TIMESTAMP '2026-10-25 00:00:00'
      AND zeitpunkt <= TIMESTAMP '2026-11-01 00:00:00')
  AND NOT EXISTS (
    SELECT 1 FROM shop.bestellungen AS b
    WHERE b.kunde = p.kunden_id
      AND b.bestellt_am >= TIMESTAMP '2026-10-25 00:00:00'
      AND b.bestellt_am <= TIMESTAMP '2026-11-01 00:00:00')
  AND p.kunden_id IN (SELECT kunden_id FROM ads)
