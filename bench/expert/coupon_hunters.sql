-- coupon_hunters, hand-optimised for DuckDB (as_of 2026-11-01T00:00:00Z).
-- "exclude country not in [...]" keeps null countries (the test is false on null).
SELECT p.kunden_id AS member_id
FROM crm.kunden AS p
WHERE p.angemeldet_am < DATE '2026-01-01'
  AND (p.land IS NULL OR p.land IN ('DE', 'AT', 'CH'))
  AND p.kunden_id IN (
    SELECT kunde FROM shop.bestellungen
    WHERE bestellt_am >= TIMESTAMP '2025-11-01 00:00:00'
      AND bestellt_am <= TIMESTAMP '2026-11-01 00:00:00'
      AND (contains(lower(gutschein), 'blackfriday') OR gutschein = '50%_off'))
